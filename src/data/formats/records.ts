/** The common output of the container parsers (JSONL, JSON, CSV): one record or one problem per row. */
export type RawRecord = { line: number; value: unknown } | { line: number; problem: string };

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
