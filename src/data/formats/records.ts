import { duplicateKeyWarning, findDuplicateKey } from './json-keys.ts';

/**
 * The common output of the container parsers (JSONL, JSON, CSV): one record or one problem per
 * row. A record may carry warnings: the row is usable, but something in it was taken silently.
 */
export type RawRecord =
  | { line: number; value: unknown; warnings?: { line: number; reason: string }[] }
  | { line: number; problem: string };

/** A parsed JSON row, with a warning when `text` repeats a key in one object (`firstLine`: where `text` starts). */
export function jsonRecord(value: unknown, text: string, firstLine: number): RawRecord {
  const dup = findDuplicateKey(text);
  if (!dup) return { line: firstLine, value };
  const line = firstLine + countNewlines(text, dup.offset);
  return { line: firstLine, value, warnings: [{ line, reason: duplicateKeyWarning(dup.key) }] };
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Explains a JSON.parse failure with a 1-based column when the engine reports a position
 * (V8: "at position N"; Firefox: "line L column C"); `firstLine` is the line where the text starts.
 */
export function describeJsonError(err: unknown, text: string, firstLine: number): { line: number; reason: string } {
  const message = err instanceof Error ? err.message : String(err);
  const pos = /at position (\d+)/.exec(message);
  if (pos) {
    const offset = Number(pos[1]);
    const before = text.slice(0, offset);
    const lineOffset = before.split('\n').length - 1;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    return { line: firstLine + lineOffset, reason: `invalid JSON at column ${column}: ${trimMessage(message)}` };
  }
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    return {
      line: firstLine + Number(lc[1]) - 1,
      reason: `invalid JSON at column ${lc[2]}: ${trimMessage(message)}`,
    };
  }
  return { line: firstLine, reason: `invalid JSON: ${trimMessage(message)}` };
}

function trimMessage(message: string): string {
  return message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
}
