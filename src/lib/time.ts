/** Epoch milliseconds → RFC 3339 (UTC) as the wire wants, null kept as null. */
export function toIso(ms: number): string;
export function toIso(ms: number | null | undefined): string | null;
export function toIso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** RFC 3339 → epoch milliseconds; undefined when unparseable. */
export function parseIso(value: string): number | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
