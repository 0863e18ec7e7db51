/** JSON columns are TEXT on both dialects. Stored data is untrusted: a corrupt value fails loudly. */
export function parseJson<T>(text: string | null, column: string): T {
  if (text === null) return null as T;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`stored JSON in ${column} is corrupt`, { cause: err });
  }
}

export const toJson = (value: unknown): string => JSON.stringify(value);

/**
 * Stored payloads by the object parsed from them, so a response can splice the stored text
 * instead of serialising the object again (events/types.ts toWireJson). Keyed by the payload
 * object: copies of an event keep it; a payload rebuilt (validated, changed) has none and is
 * serialised. Payloads read from the log are never mutated in place.
 */
const payloadTexts = new WeakMap<object, string>();

/** parseJson for an event payload, remembering its stored text. */
export function parseStoredPayload<T>(text: string, column: string): T {
  const value = parseJson<T>(text, column);
  if (typeof value === 'object' && value !== null) payloadTexts.set(value, text);
  return value;
}

/** The stored JSON text of a payload object read by parseStoredPayload, if it is one. */
export function storedPayloadText(payload: unknown): string | undefined {
  return typeof payload === 'object' && payload !== null ? payloadTexts.get(payload) : undefined;
}
