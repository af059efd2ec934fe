/**
 * Imports preference data from a file or stream: detects the container (JSONL, JSON, CSV) and the
 * row schema (paper, TRL, Anthropic-HH, rated candidates), maps every row, and reports every row
 * it could not use with its line and the reason. Nothing is dropped silently.
 *
 * Container detection (override with `container`): a file name ending in .csv/.tsv is CSV; else the
 * first non-blank character decides: "[" is a JSON array; "{" is JSON Lines when the first line is a
 * whole JSON value (or ends in "}"), else one JSON object holding a list; anything else is CSV.
 * Schema detection (override with `format`): the fields of the first object record (schemas.ts).
 */
import { parseCsv } from './formats/csv.ts';
import { parseJsonDocument } from './formats/json.ts';
import { parseJsonl } from './formats/jsonl.ts';
import type { RawRecord } from './formats/records.ts';
import { describeFields, detectFormat, mapRecord, type SourceFormat } from './formats/schemas.ts';
import { type ByteSource, decodeText, Pacer, type StreamOptions } from './formats/stream.ts';
import { INVALID_UTF8_WARNING, Utf8LineChecker } from './formats/utf8-check.ts';
import type { ImportProblem, PreferenceRow, RatedCandidate } from './types.ts';

export const CONTAINERS = ['jsonl', 'json', 'csv', 'tsv'] as const;
export type Container = (typeof CONTAINERS)[number];

export interface ImportOptions extends Omit<StreamOptions, 'onProgress'> {
  format?: SourceFormat;
  container?: Container;
  /** Used only to recognise .csv/.tsv files. */
  fileName?: string;
  onProgress?: (p: { bytesRead: number; totalBytes?: number; rows: number; problems: number }) => void;
}

export interface ImportResult {
  container: Container;
  /** null when no row could be read (empty file, or no record had recognisable fields). */
  format: SourceFormat | null;
  pairs: PreferenceRow[];
  /** pairLines[k] is the line where pairs[k] starts. */
  pairLines: number[];
  candidates: RatedCandidate[];
  candidateLines: number[];
  problems: ImportProblem[];
  /**
   * Rows that were read, but with something taken silently: invalid UTF-8 (replaced by U+FFFD), a
   * key repeated in one object (the last value kept). Sorted by line.
   */
  warnings: ImportProblem[];
  bytesRead: number;
}

export async function importPreferences(source: ByteSource, opts: ImportOptions = {}): Promise<ImportResult> {
  let bytesRead = 0;
  let totalBytes: number | undefined;
  const result: ImportResult = {
    container: 'jsonl',
    format: opts.format ?? null,
    pairs: [],
    pairLines: [],
    candidates: [],
    candidateLines: [],
    problems: [],
    warnings: [],
    bytesRead: 0,
  };
  const utf8 = new Utf8LineChecker();
  const report = () =>
    opts.onProgress?.({
      bytesRead,
      totalBytes,
      rows: result.pairs.length + result.candidates.length,
      problems: result.problems.length,
    });
  const texts = peekable(
    decodeText(
      source,
      {
        ...opts,
        onProgress: (p) => {
          bytesRead = p.bytesRead;
          totalBytes = p.totalBytes;
          report();
        },
      },
      utf8,
    ),
  );
  result.container = opts.container ?? containerFromName(opts.fileName) ?? (await sniffContainer(texts));
  const pacer = new Pacer(opts.yieldAfterMs ?? 30);
  for await (const record of recordsOf(result.container, texts.stream())) {
    addRecord(result, record);
    await pacer.maybeYield();
  }
  for (const line of utf8.badLines) result.warnings.push({ line, reason: INVALID_UTF8_WARNING });
  result.warnings.sort((a, b) => a.line - b.line);
  result.bytesRead = bytesRead;
  report();
  return result;
}

function addRecord(result: ImportResult, record: RawRecord): void {
  if ('problem' in record) {
    result.problems.push({ line: record.line, reason: record.problem });
    return;
  }
  if (record.warnings) result.warnings.push(...record.warnings);
  if (result.format === null) {
    result.format = detectFormat(record.value);
    if (result.format === null) {
      const unwrapped = listInside(record.value);
      if (unwrapped) {
        for (const value of unwrapped) addRecord(result, { line: record.line, value });
        return;
      }
      result.problems.push({
        line: record.line,
        reason:
          `cannot tell the format from ${describeFields(record.value)}; expected paper (i_chosen, r_chosen, ` +
          'i_reject, r_reject), TRL (prompt, chosen, rejected), Anthropic-HH (chosen, rejected) or rated ' +
          '(instruction, response, score); pass the format explicitly',
      });
      return;
    }
  }
  const mapped = mapRecord(result.format, record.value);
  if ('problem' in mapped) result.problems.push({ line: record.line, reason: mapped.problem });
  else if ('pair' in mapped) {
    result.pairs.push(mapped.pair);
    result.pairLines.push(record.line);
  } else {
    result.candidates.push(mapped.candidate);
    result.candidateLines.push(record.line);
  }
}

/** A single JSON Lines record like {"data": [...rows]} holds the rows itself. */
function listInside(value: unknown): unknown[] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  for (const v of Object.values(value)) {
    if (Array.isArray(v) && v.length > 0 && detectFormat(v[0]) !== null) return v;
  }
  return null;
}

function recordsOf(container: Container, texts: AsyncIterable<string>): AsyncIterable<RawRecord> {
  switch (container) {
    case 'jsonl':
      return parseJsonl(texts);
    case 'json':
      return parseJsonDocument(texts);
    case 'csv':
      return parseCsv(texts, ',');
    case 'tsv':
      return parseCsv(texts, '\t');
  }
}

function containerFromName(name: string | undefined): Container | null {
  if (!name) return null;
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.tsv')) return 'tsv';
  return null;
}

async function sniffContainer(texts: Peekable): Promise<Container> {
  // Each chunk is scanned once: a long first line must not be rescanned from its start per chunk.
  let first = -1;
  let firstChar = '';
  let newline = -1;
  const head = await texts.peekUntil((chunk, offset) => {
    let from = 0;
    if (first < 0) {
      from = chunk.search(/\S/);
      if (from < 0) return false;
      first = offset + from;
      firstChar = chunk[from];
      if (firstChar !== '{') return true;
    }
    const nl = chunk.indexOf('\n', from);
    if (nl < 0) return false;
    newline = offset + nl;
    return true;
  });
  if (first < 0) return 'jsonl';
  if (firstChar === '[') return 'json';
  if (firstChar !== '{') return 'csv';
  if (newline < 0) return 'jsonl';
  const firstLine = head.slice(first, newline).trim();
  try {
    JSON.parse(firstLine);
    return 'jsonl';
  } catch {
    return firstLine.endsWith('}') ? 'jsonl' : 'json';
  }
}

interface Peekable {
  /**
   * Reads ahead, showing `enough` each new chunk and its offset in the text, until it returns true
   * or the text ends; returns the text read so far (joined once).
   */
  peekUntil(enough: (chunk: string, offset: number) => boolean): Promise<string>;
  /** Everything: the buffered text first, then the rest. */
  stream(): AsyncIterable<string>;
}

function peekable(source: AsyncIterable<string>): Peekable {
  const it = source[Symbol.asyncIterator]();
  const buffered: string[] = [];
  let done = false;
  return {
    async peekUntil(enough) {
      let offset = 0;
      let satisfied = false;
      for (const chunk of buffered) {
        if (enough(chunk, offset)) {
          satisfied = true;
          break;
        }
        offset += chunk.length;
      }
      while (!done && !satisfied) {
        const next = await it.next();
        if (next.done) done = true;
        else {
          buffered.push(next.value);
          satisfied = enough(next.value, offset);
          offset += next.value.length;
        }
      }
      return buffered.join('');
    },
    async *stream() {
      yield* buffered.splice(0);
      if (done) return;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    },
  };
}
