import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, type Tokenizer } from '../../src/data/tokenizer.ts';

const GPT2_DIR = '../shared/data/tokenizers/gpt2';

/**
 * Independent reference: OpenAI's original GPT-2 encoder.py algorithm (byte-to-unicode map,
 * pre-tokenization regex, greedy lowest-rank BPE merges) over the same vocab and merges.
 */
function referenceGpt2(dir: string): (text: string) => number[] {
  const json = JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8'));
  const vocab: Record<string, number> = json.model.vocab;
  const ranks = new Map<string, number>((json.model.merges as string[]).map((m, i) => [m, i]));
  const byteToChar: string[] = [];
  const printable = new Set<number>();
  for (let b = 33; b <= 126; b++) printable.add(b);
  for (let b = 161; b <= 172; b++) printable.add(b);
  for (let b = 174; b <= 255; b++) printable.add(b);
  let extra = 0;
  for (let b = 0; b < 256; b++) byteToChar[b] = String.fromCharCode(printable.has(b) ? b : 256 + extra++);
  const pat = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  const bpe = (word: string[]): string[] => {
    let parts = word;
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i < parts.length - 1; i++) {
        const r = ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = parts[best];
      const b = parts[best + 1];
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i < parts.length - 1 && parts[i] === a && parts[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(parts[i]);
      }
      parts = merged;
    }
    return parts;
  };
  const enc = new TextEncoder();
  return (text) => {
    const ids: number[] = [];
    for (const piece of text.split(/(<\|endoftext\|>)/)) {
      if (piece === '<|endoftext|>') {
        ids.push(50256);
        continue;
      }
      for (const m of piece.matchAll(pat)) {
        const chars = Array.from(enc.encode(m[0]), (b) => byteToChar[b]);
        for (const tok of bpe(chars)) ids.push(vocab[tok]);
      }
    }
    return ids;
  };
}

describe('GPT-2 tokenizer through transformers.js', async () => {
  const tok: Tokenizer = await loadTokenizer({ dir: GPT2_DIR });
  const reference = referenceGpt2(GPT2_DIR);

  it('matches published GPT-2 ids', () => {
    // Hugging Face GPT2Tokenizer docs and tiktoken's test suite.
    expect(tok.encode('Hello world')).toEqual([15496, 995]);
    expect(tok.encode(' Hello world')).toEqual([18435, 995]);
    expect(tok.encode(' Hello')).toEqual([18435]);
    expect(tok.encode('hello world')).toEqual([31373, 995]);
    expect(tok.encode('hello <|endoftext|>')).toEqual([31373, 220, 50256]);
    expect(tok.encode('<|endoftext|>')).toEqual([50256]);
  });

  it('reads the special tokens from tokenizer_config.json', () => {
    expect(tok.bosId).toBe(50256);
    expect(tok.eosId).toBe(50256);
    expect(tok.padId).toBe(50256);
    expect(tok.vocabSize).toBe(50257);
    expect(tok.chatTemplate).toBeNull();
    expect(tok.name).toBe('gpt2');
  });

  const samples = [
    '### Instructions: Create a list of four fruits other than Apple\n\n### Response: Orange, Blueberry, Kiwi, Banana',
    '  leading and trailing spaces   \n\n\t tabs and\r\nCRLF  ',
    'unicode: café naïve Straße Ελληνικά 日本語 한국어 עברית',
    'emoji: 🍎🍊 👩‍👩‍👧 🏳️‍🌈 and numbers 1234567 3.14159',
    "contractions: I'm, you're, it's, we'll, they'd, I've",
    'punctuation!!! ??? ... --- ((nested)) [x] {y} <z> @#$%^&*',
    '',
  ];

  it('agrees with the reference BPE on varied text', () => {
    for (const s of samples) expect(tok.encode(s), JSON.stringify(s)).toEqual(reference(s));
  });

  it('round-trips decode(encode(x)) exactly', () => {
    for (const s of samples) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('builds the same tokenizer from parsed JSON files (the browser path)', async () => {
    const files = {
      tokenizerJson: JSON.parse(readFileSync(`${GPT2_DIR}/tokenizer.json`, 'utf8')),
      tokenizerConfig: JSON.parse(readFileSync(`${GPT2_DIR}/tokenizer_config.json`, 'utf8')),
    };
    const fromFiles = await loadTokenizer({ files, name: 'gpt2' });
    for (const s of samples) expect(fromFiles.encode(s)).toEqual(tok.encode(s));
    expect(fromFiles.bosId).toBe(50256);
  });

  it('explains a folder without tokenizer.json', async () => {
    await expect(loadTokenizer({ dir: '../shared/data' })).rejects.toThrow(/tokenizer\.json/);
  });
});
