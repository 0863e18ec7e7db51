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
