/**
 * Tokenizing only as much of a text as truncation will keep. A 10 MB response truncated to 512
 * tokens must not be tokenized in full first (that took 2.4 GB): memory stays bounded by the kept
 * length, and the ids are the same as tokenize-then-truncate.
 *
 * How: tokenize a prefix (or suffix) of the text, cut at a whitespace boundary where one is near
 * (pre-tokenizers split there, so the tokens before the cut do not depend on what follows), and
 * confirm with a second cut twice as far: the kept tokens must be the same from both. Texts whose
 * cut never settles (a single giant word, an unusual tokenizer) end up tokenized in full, which is
 * never wrong, only slower.
 */
import type { Tokenizer } from './tokenizer.ts';

/** Characters per token to start from; each doubling is cheap, so a low guess costs little. */
const CHARS_PER_TOKEN = 8;
/** How far past the cut point to look for whitespace. */
const BOUNDARY_WINDOW = 256;

/**
 * A prefix of `tok.encode(text)`: the whole encoding, or at least its first `limit + 1` tokens (one
 * more than can be kept, so callers still see that the text was cut). No limit: the whole encoding.
 */
export function encodeHead(tok: Tokenizer, text: string, limit: number | undefined): number[] {
  return encodeBounded(tok, text, limit, 'head');
}

/** A suffix of `tok.encode(text)`: the whole encoding, or at least its last `limit + 1` tokens. */
export function encodeTail(tok: Tokenizer, text: string, limit: number | undefined): number[] {
  return encodeBounded(tok, text, limit, 'tail');
}

function encodeBounded(tok: Tokenizer, text: string, limit: number | undefined, end: 'head' | 'tail'): number[] {
  if (limit === undefined || !Number.isFinite(limit)) return tok.encode(text);
  const keep = Math.max(0, Math.floor(limit)) + 1;
  for (let chars = Math.max(64, keep * CHARS_PER_TOKEN); 4 * chars < text.length; chars *= 2) {
    const near = tok.encode(piece(text, chars, end));
    if (near.length < keep + 1) continue;
    const far = tok.encode(piece(text, 2 * chars, end));
    const a = end === 'head' ? near.slice(0, keep) : near.slice(near.length - keep);
    const b = end === 'head' ? far.slice(0, keep) : far.slice(far.length - keep);
    if (a.every((id, i) => id === b[i])) return a;
  }
  return tok.encode(text);
}

/** About `chars` characters from one end of `text`, cut before a whitespace run when one is near. */
function piece(text: string, chars: number, end: 'head' | 'tail'): string {
  if (end === 'head') return text.slice(0, headCut(text, chars));
  return text.slice(tailCut(text, text.length - chars));
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** An index >= at where whitespace follows non-whitespace, else `at` moved off a surrogate pair. */
function headCut(text: string, at: number): number {
  for (let i = at; i < Math.min(text.length, at + BOUNDARY_WINDOW); i++) {
    if (isSpace(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i - 1))) return i;
  }
  return offSurrogate(text, at);
}

/** An index <= at where whitespace follows non-whitespace, else `at` moved off a surrogate pair. */
function tailCut(text: string, at: number): number {
  for (let i = at; i > Math.max(0, at - BOUNDARY_WINDOW); i--) {
    if (isSpace(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i - 1))) return i;
  }
  return offSurrogate(text, at);
}

function offSurrogate(text: string, at: number): number {
  const c = text.charCodeAt(at - 1);
  return c >= 0xd800 && c <= 0xdbff ? at + 1 : at;
}
