/** JSON Lines: one JSON value per line; blank lines are skipped silently (they hold no row). */
import type { RawRecord } from './records.ts';
import { describeJsonError, jsonRecord } from './records.ts';
import { splitLines } from './stream.ts';

export async function* parseJsonl(texts: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  for await (const { line, text } of splitLines(texts)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const { reason } = describeJsonError(err, text, line);
      yield { line, problem: reason };
      continue;
    }
    yield jsonRecord(value, text, line);
  }
}
