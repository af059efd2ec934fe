/**
 * Very long rows: importing a multi-MB line is linear (it was quadratic: every chunk re-copied the
 * line read so far, 18 s for this test's 3 MB line in 512-byte chunks), and truncation tokenizes
 * only what it keeps, with ids identical to tokenize-then-truncate. The 40 MB case is timed by
 * bench/import-long-lines.ts.
 */
import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/data/formats/stream.ts';
import { importPreferences } from '../../src/data/import.ts';
import { encodeHead, encodeTail } from '../../src/data/tokenize-bounded.ts';
import { loadTokenizer, type Tokenizer } from '../../src/data/tokenizer.ts';
import { Rng } from '../../src/engine/random.ts';

async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

describe('long lines', () => {
  const long = 'lorem ipsum dolor '.repeat(Math.ceil((3 << 20) / 18));
  const row = (r: string) => JSON.stringify({ i_chosen: 'q', r_chosen: r, i_reject: 'q', r_reject: 'no' });

  it('a 3 MB line in 512-byte chunks imports whole, with the container detected', async () => {
    const text = `${row(long)}\r\n${row('short')}\n`;
    const r = await importPreferences(pieces(text, 512));
    expect(r.container).toBe('jsonl');
    expect(r.problems).toEqual([]);
    expect(r.pairs.map((p) => p.r_chosen.length)).toEqual([long.length, 5]);
    expect(r.pairs[0].r_chosen === long).toBe(true);
  });

  it('splits lines exactly at every chunk boundary, CRLF split across chunks included', async () => {
    const text = 'a\r\nbb\n\r\nccc\r\r\nd';
    const want = ['a', 'bb', '', 'ccc\r', 'd'];
    for (let size = 1; size <= text.length; size++) {
      const got: string[] = [];
      for await (const l of splitLines(pieces(text, size))) got.push(l.text);
      expect(got, `chunks of ${size}`).toEqual(want);
    }
  });
});

/** A tokenizer that records the longest text it was asked to encode. */
function recording(tok: Tokenizer): Tokenizer & { longest: number } {
  const rec = {
    ...tok,
    longest: 0,
    encode(text: string) {
      rec.longest = Math.max(rec.longest, text.length);
      return tok.encode(text);
    },
  };
  return rec;
}

/** Random text from words, numbers, punctuation, runs of spaces and newlines, non-Latin and emoji. */
function randomText(rng: Rng, words: number): string {
  const pool = [
    'the',
    'Cat',
    ' ',
    '  ',
    '\n',
    '\n\n',
    '42',
    '3.14',
    "don't",
    '!!',
    'naïve',
    '日本語',
    '🍎',
    'ab\tcd',
    'x',
  ];
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    out.push(pool[rng.int(pool.length)]);
    if (rng.int(3) > 0) out.push(' ');
  }
  return out.join('');
}

describe('truncation before tokenization', () => {
  it.each([
    ['gpt2', '../shared/data/tokenizers/gpt2'],
    ['orchard-tiny', 'public/models/orchard-tiny'],
  ])('%s: the kept ids equal tokenize-then-truncate', async (_, dir) => {
    const tok = await loadTokenizer({ dir });
    const rng = new Rng(3);
    for (let trial = 0; trial < 25; trial++) {
      const text = randomText(rng, 20 + rng.int(2000));
      const full = tok.encode(text);
      for (const limit of [0, 1, 7, 50, 300]) {
        const keep = Math.min(full.length, limit + 1);
        const head = encodeHead(tok, text, limit);
        const tail = encodeTail(tok, text, limit);
        expect(head.length >= keep && head.length <= full.length).toBe(true);
        expect(head).toEqual(full.slice(0, head.length));
        expect(tail.length >= keep && tail.length <= full.length).toBe(true);
        expect(tail).toEqual(full.slice(full.length - tail.length));
      }
    }
    expect(encodeHead(tok, 'short text', undefined)).toEqual(tok.encode('short text'));
  });

  it('tokenizes a bounded piece of a 700 KB text, whatever its length', async () => {
    const tok = recording(await loadTokenizer({ dir: '../shared/data/tokenizers/gpt2' }));
    const text = randomText(new Rng(8), 200_000);
    expect(text.length).toBeGreaterThan(600_000);
    const head = encodeHead(tok, text, 100);
    const tail = encodeTail(tok, text, 100);
    expect(tok.longest).toBeLessThan(4096);
    const full = tok.encode(text);
    expect(head).toEqual(full.slice(0, 101));
    expect(tail).toEqual(full.slice(full.length - 101));
  }, 60_000);
});
