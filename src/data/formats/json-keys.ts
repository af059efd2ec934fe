/**
 * JSON.parse keeps the last of two equal keys in an object and says nothing, so a row like
 * {"r_chosen": "a", "r_chosen": "b"} silently loses "a". This scanner finds the first key repeated
 * within one object of a JSON text (already known to parse), in one linear pass.
 */
import { CHAR, isJsonSpace } from './char-codes.ts';

const { quote: QUOTE, backslash: BACKSLASH, colon: COLON } = CHAR;
const { openSquare: OPEN_SQUARE, closeSquare: CLOSE_SQUARE, openCurly: OPEN_CURLY, closeCurly: CLOSE_CURLY } = CHAR;

/** The first duplicated key, with the 0-based offset of its second occurrence; null when none. */
export function findDuplicateKey(text: string): { key: string; offset: number } | null {
  /** One entry per open bracket: the keys seen so far for an object, null for an array. */
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      i = stringEnd(text, i);
      const keys = stack.length > 0 ? stack[stack.length - 1] : null;
      if (keys !== null && nextNonSpace(text, i + 1) === COLON) {
        const raw = text.slice(start + 1, i);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(start, i + 1)) as string) : raw;
        if (keys.has(key)) return { key, offset: start };
        keys.add(key);
      }
    } else if (c === OPEN_CURLY) stack.push(new Set());
    else if (c === OPEN_SQUARE) stack.push(null);
    else if (c === CLOSE_CURLY || c === CLOSE_SQUARE) stack.pop();
  }
  return null;
}

/** Index of the quote closing the string that opens at `open`. */
function stringEnd(text: string, open: number): number {
  let i = open + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    let slashes = 0;
    for (let k = q - 1; k > open && text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q;
    i = q + 1;
  }
}

function nextNonSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isJsonSpace(c)) return c;
  }
  return -1;
}

/** The warning for a duplicated key. */
export function duplicateKeyWarning(key: string): string {
  return `key "${key.slice(0, 80)}" appears twice in one object; the last value was used (remove or rename one)`;
}
