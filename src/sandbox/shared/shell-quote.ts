/** Quotes one word for bash so that it is passed through literally (single quotes, `'\''` inside). */
export function quoteShellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
