/**
 * Nesting depth of a JSON text, measured before parsing: deep nesting makes recursive code
 * (JSON.stringify, schema validation) overflow the stack, which would surface as a 500.
 */

/** The deepest point a JSON request body may reach (objects and arrays count one level each). */
export const MAX_JSON_DEPTH = 128;

/** True as soon as the nesting passes `max` levels; strings are skipped, so brackets inside them do not count. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--;
    }
  }
  return false;
}
