/** UTF-16 code units the JSON scanners compare against (charCodeAt), and JSON's whitespace. */
export const CHAR = {
  tab: 9,
  newline: 10,
  carriageReturn: 13,
  space: 32,
  quote: 34,
  comma: 44,
  colon: 58,
  openSquare: 91,
  backslash: 92,
  closeSquare: 93,
  openCurly: 123,
  closeCurly: 125,
} as const;

/** JSON's insignificant whitespace: space, tab, LF, CR. */
export function isJsonSpace(c: number): boolean {
  return c === CHAR.space || c === CHAR.newline || c === CHAR.carriageReturn || c === CHAR.tab;
}
