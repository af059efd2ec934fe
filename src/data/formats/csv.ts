/**
 * CSV (RFC 4180): the first record is the header; fields may be quoted with "..." and then hold
 * delimiters, newlines and doubled quotes (""). Records end at LF or CRLF; a CR outside quotes is
 * dropped. Blank lines are skipped. A quote inside an unquoted field is kept as a character
 * (common in real files), and so is text after a closing quote ("a"b reads as ab, like Python's csv). Streams across chunk boundaries.
 */
import type { RawRecord } from './records.ts';

const QUOTE = 34;
const NEWLINE = 10;
const CR = 13;

export async function* parseCsv(texts: AsyncIterable<string>, delimiter = ','): AsyncGenerator<RawRecord> {
  const delim = delimiter.charCodeAt(0);
  let header: string[] | null = null;
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let quoteSeen = false; // a quote inside a quoted field: the end, or the first half of ""
  let afterQuote = false; // the quoted field ended; expecting a delimiter or the end of the record
  let line = 1;
  let recordLine = 1;
  const out: RawRecord[] = [];

  const endRecord = (): void => {
    fields.push(field);
    const record = fields;
    fields = [];
    field = '';
    afterQuote = false;
    if (record.length === 1 && record[0] === '') return;
    if (header === null) {
      header = record.map((h) => h.trim());
      return;
    }
    if (record.length !== header.length) {
      out.push({
        line: recordLine,
        problem: `${record.length} fields, but the header has ${header.length} (a quote or delimiter may be missing)`,
      });
      return;
    }
    const value: Record<string, string> = {};
    header.forEach((name, k) => {
      value[name] = record[k];
    });
    out.push({ line: recordLine, value });
  };

  for await (const s of texts) {
    let runStart = -1; // start of a run of plain characters to copy into `field` in one slice
    const flushRun = (end: number): void => {
      if (runStart >= 0) {
        field += s.slice(runStart, end);
        runStart = -1;
      }
    };
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (quoteSeen) {
        quoteSeen = false;
        if (c === QUOTE) {
          field += '"';
          continue;
        }
        quoted = false;
        afterQuote = true;
      }
      if (quoted) {
        if (c === QUOTE) {
          flushRun(i);
          quoteSeen = true;
          continue;
        }
        if (c === NEWLINE) line++;
        if (runStart < 0) runStart = i;
        continue;
      }
      if (c === delim) {
        flushRun(i);
        fields.push(field);
        field = '';
        afterQuote = false;
        continue;
      }
      if (c === NEWLINE) {
        flushRun(i);
        endRecord();
        line++;
        recordLine = line;
        continue;
      }
      if (c === CR) {
        flushRun(i);
        continue;
      }
      if (!afterQuote && c === QUOTE && field === '' && runStart < 0) {
        quoted = true;
        continue;
      }
      if (runStart < 0) runStart = i;
    }
    flushRun(s.length);
    if (out.length > 0) yield* out.splice(0);
  }
  if (quoteSeen) {
    quoted = false;
  }
  if (quoted) {
    out.push({ line: recordLine, problem: 'a quoted field opened in this record is never closed (missing ")' });
  } else if (fields.length > 0 || field !== '') {
    endRecord();
  }
  yield* out.splice(0);
}
