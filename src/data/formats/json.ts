/**
 * A JSON document holding rows: a top-level array of rows, or an object with one list of rows
 * (e.g. {"data": [...]} - the first array property whose first element is an object).
 *
 * Streams: a small scanner finds where each list element starts and ends (tracking strings and
 * bracket depth across chunk boundaries) and parses elements one at a time, so a broken element is
 * reported with its own line and the rest of the file still loads.
 */
import { CHAR, isJsonSpace } from './char-codes.ts';
import type { RawRecord } from './records.ts';
import { describeJsonError, jsonRecord } from './records.ts';

const { quote: QUOTE, backslash: BACKSLASH, comma: COMMA, newline: NEWLINE } = CHAR;
const { openSquare: OPEN_SQUARE, closeSquare: CLOSE_SQUARE, openCurly: OPEN_CURLY, closeCurly: CLOSE_CURLY } = CHAR;
const isSpace = isJsonSpace;

export async function* parseJsonDocument(texts: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  let line = 1;
  let depth = 0;
  let root: 'array' | 'object' | null = null;
  let rootClosed = false;
  let inString = false;
  let escaped = false;
  /** Depth of the list whose elements are rows (1 for a root array, 2 for a list inside a root object). */
  let listDepth: number | null = null;
  let listKey: string | null = null;
  let lockedKey: string | null = null;
  let lastKey = '';
  let keyBuf: string | null = null;
  let elemParts: string[] | null = null;
  let elemStart = 0;
  let elemLine = 0;
  let trailingReported = false;
  const out: RawRecord[] = [];

  const emit = (text: string, startLine: number): void => {
    const inObject = root === 'object';
    if (inObject && lockedKey !== null && listKey !== lockedKey) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (inObject && lockedKey === null) return;
      const { line: at, reason } = describeJsonError(err, text, startLine);
      out.push({ line: at, problem: reason });
      return;
    }
    if (inObject && lockedKey === null) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      lockedKey = listKey;
    }
    out.push(jsonRecord(value, text, startLine));
  };

  for await (const s of texts) {
    if (elemParts !== null) elemStart = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === NEWLINE) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (keyBuf !== null) {
            lastKey = keyBuf;
            keyBuf = null;
          }
          continue;
        }
        if (keyBuf !== null) keyBuf += s[i];
        continue;
      }
      if (elemParts !== null && depth === listDepth && (c === COMMA || c === CLOSE_SQUARE)) {
        elemParts.push(s.slice(elemStart, i));
        emit(elemParts.join(''), elemLine);
        elemParts = null;
      }
      if (listDepth !== null && depth === listDepth && elemParts === null) {
        if (isSpace(c) || c === COMMA) continue;
        if (c === CLOSE_SQUARE) {
          depth--;
          listDepth = null;
          if (depth === 0) rootClosed = true;
          continue;
        }
        elemParts = [];
        elemStart = i;
        elemLine = line;
      }
      if (root === null) {
        if (isSpace(c)) continue;
        if (c === OPEN_SQUARE) {
          root = 'array';
          depth = 1;
          listDepth = 1;
          continue;
        }
        if (c === OPEN_CURLY) {
          root = 'object';
          depth = 1;
          continue;
        }
        out.push({ line, problem: `a JSON file must start with "[" or "{", found "${s[i]}"` });
        yield* out.splice(0);
        return;
      }
      if (rootClosed) {
        if (!isSpace(c) && !trailingReported) {
          out.push({ line, problem: 'unexpected text after the end of the JSON document (ignored)' });
          trailingReported = true;
        }
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        if (root === 'object' && depth === 1 && elemParts === null) keyBuf = '';
      } else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
        depth++;
        if (root === 'object' && depth === 2 && c === OPEN_SQUARE && listDepth === null) {
          listDepth = 2;
          listKey = lastKey;
        }
      } else if (c === CLOSE_SQUARE || c === CLOSE_CURLY) {
        depth--;
        if (depth === 0) rootClosed = true;
      }
    }
    if (elemParts !== null) elemParts.push(s.slice(elemStart));
    if (out.length > 0) yield* out.splice(0);
  }

  if (root === null) return;
  if (!rootClosed) {
    const where = elemParts !== null ? elemLine : line;
    const what = inString ? 'inside a string' : `before the ${root === 'array' ? 'array' : 'object'} is closed`;
    out.push({ line: where, problem: `the file ends ${what}; the last row is cut off or a "]"/"}" is missing` });
  }
  if (root === 'object' && lockedKey === null) {
    out.push({
      line: 1,
      problem: 'the JSON object holds no list of rows; expected an array, or an object with one (e.g. {"data": [...]})',
    });
  }
  yield* out.splice(0);
}
