/**
 * Byte sources to text: incremental UTF-8 decoding (a BOM is dropped; a character split across
 * chunks is decoded once both halves arrived), progress in bytes, and periodic yielding so a
 * 100 MB import on the main thread never blocks the page for long. Invalid UTF-8 becomes U+FFFD,
 * as TextDecoder does; pass a Utf8LineChecker to learn which lines held it.
 */
import type { Utf8LineChecker } from './utf8-check.ts';

/** What import accepts: a web stream (fetch body, File.stream()), a Blob/File, chunks, or whole text. */
export type ByteSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>
  | Blob
  | Uint8Array
  | string;

export interface StreamProgress {
  bytesRead: number;
  /** Known for Blob, Uint8Array and string sources; undefined for streams. */
  totalBytes?: number;
}

export interface StreamOptions {
  onProgress?: (p: StreamProgress) => void;
  /** Yield to the event loop after this many milliseconds of uninterrupted work (default 30). */
  yieldAfterMs?: number;
  signal?: AbortSignal;
}

/** The text of a source, chunk by chunk. */
export async function* decodeText(
  source: ByteSource,
  opts: StreamOptions = {},
  utf8?: Utf8LineChecker,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  const pacer = new Pacer(opts.yieldAfterMs ?? 30);
  const totalBytes = totalBytesOf(source);
  let bytesRead = 0;
  let first = true;
  for await (const chunk of chunksOf(source)) {
    if (opts.signal?.aborted) throw new Error('import cancelled');
    let text: string;
    if (typeof chunk === 'string') {
      bytesRead += utf8Length(chunk);
      text = chunk;
    } else {
      bytesRead += chunk.byteLength;
      utf8?.push(chunk);
      text = decoder.decode(chunk, { stream: true });
    }
    // TextDecoder drops a BOM from bytes; text given as a string may still start with one.
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text.length > 0) yield text;
    opts.onProgress?.({ bytesRead, totalBytes });
    await pacer.maybeYield();
  }
  utf8?.end();
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

/** Splits decoded text into lines ("\n" or "\r\n"; a final line without newline counts), numbered from 1. */
export async function* splitLines(texts: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string }> {
  // The unfinished line is kept as a list of chunks and joined once, when its newline arrives:
  // appending to one string and searching it per chunk would copy a long line once per chunk
  // (quadratic: a 40 MB line took 90 s).
  let carry: string[] = [];
  let line = 0;
  const finish = (last: string): string => {
    const parts = carry;
    carry = [];
    parts.push(last);
    const text = parts.length === 1 ? parts[0] : parts.join('');
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const text of texts) {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield { line: ++line, text: finish(text.slice(start, nl)) };
      start = nl + 1;
    }
    if (start < text.length) carry.push(text.slice(start));
  }
  if (carry.length > 0) yield { line: ++line, text: finish('') };
}

/** Yields to the event loop when work has run longer than a budget. */
export class Pacer {
  private last = now();
  constructor(private readonly budgetMs: number) {}
  async maybeYield(): Promise<void> {
    if (now() - this.last < this.budgetMs) return;
    await yieldToEventLoop();
    this.last = now();
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array | string> {
  if (typeof source === 'string' || source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    yield* readStream(source.stream() as ReadableStream<Uint8Array>);
    return;
  }
  if (isReadableStream(source)) {
    yield* readStream(source);
    return;
  }
  yield* source as AsyncIterable<Uint8Array | string>;
}

async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function isReadableStream(x: unknown): x is ReadableStream<Uint8Array> {
  return typeof x === 'object' && x !== null && typeof (x as ReadableStream).getReader === 'function';
}

function totalBytesOf(source: ByteSource): number | undefined {
  if (typeof source === 'string') return utf8Length(source);
  if (source instanceof Uint8Array) return source.byteLength;
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.size;
  return undefined;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
