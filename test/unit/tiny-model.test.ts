/**
 * The byte-level BPE trainer (src/data/bpe-train.ts) and the bundled tiny model
 * (public/models/orchard-tiny, made by scripts/make-tiny-model.ts): the committed files load, are
 * what the committed scripts produce, stay within the size budget, and the model answers held-out
 * Apples & Oranges instructions with a score that is neither 0 nor 1.
 */

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateTiny, makeTinyModel, TINY_RECIPE } from '../../scripts/make-tiny-model.ts';
import { tokenizerCorpus, trainTinyTokenizer } from '../../scripts/train-tokenizer.ts';
import { byteLevelWords, bytesToUnicode, trainByteLevelBpe } from '../../src/data/bpe-train.ts';
import { splitSpecs } from '../../src/data/tasks/apples.ts';
import { loadTokenizer } from '../../src/data/tokenizer.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { loadModel } from '../../src/engine/models/index.ts';
import { Rng } from '../../src/engine/random.ts';

const DIR = 'public/models/orchard-tiny';

describe('byte-level BPE trainer', () => {
  it("maps bytes like GPT-2's bytes_to_unicode", () => {
    const table = bytesToUnicode();
    expect(table[32]).toBe('Ġ');
    expect(table[10]).toBe('Ċ');
    expect(table[33]).toBe('!');
    expect(new Set(table).size).toBe(256);
    expect(byteLevelWords('Hi there!\n')).toEqual([['H', 'i'], ['Ġ', 't', 'h', 'e', 'r', 'e'], ['!'], ['Ċ']]);
  });

  it('merges the most frequent pair first, ties by pair text, and stops below minFrequency', () => {
    // Words: "abab" x2, "Ġcd" x2, "cd" x1, "Ġxy" x1. Pair counts: ab 4, cd 3, then (ab, ab) and
    // (Ġ, cd) tie at 2 and "ab" sorts before "Ġ"; (Ġ, xy) and (x, y) are seen once only.
    const bpe = trainByteLevelBpe(['abab cd', 'abab cd', 'cd xy'], { vocabSize: 300, specialTokens: ['<s>'] });
    expect(bpe.merges).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['ab', 'ab'],
      ['Ġ', 'cd'],
    ]);
    expect(bpe.vocab.get('ab')).toBe(256);
    expect(bpe.vocab.get('Ġcd')).toBe(259);
    expect(bpe.vocab.get('<s>')).toBe(260);
    expect(bpe.vocab.size).toBe(261);
    // A vocabulary budget cuts the merge list.
    expect(
      trainByteLevelBpe(['abab cd', 'abab cd', 'cd xy'], { vocabSize: 259, specialTokens: ['<s>'] }).merges,
    ).toHaveLength(2);
  });
});

describe('orchard-tiny tokenizer', () => {
  it('is exactly what scripts/train-tokenizer.ts produces', () => {
    const t = trainTinyTokenizer(TINY_RECIPE.seed);
    expect(readFileSync(`${DIR}/tokenizer.json`, 'utf8')).toBe(`${JSON.stringify(t.tokenizerJson, null, 2)}\n`);
    expect(readFileSync(`${DIR}/tokenizer_config.json`, 'utf8')).toBe(
      `${JSON.stringify(t.tokenizerConfig, null, 2)}\n`,
    );
  });

  it('loads through transformers.js with <|endoftext|> as BOS, EOS and pad', async () => {
    const tok = await loadTokenizer({ dir: DIR });
    const eot = tok.encode('<|endoftext|>');
    expect(eot).toHaveLength(1);
    expect(tok.bosId).toBe(eot[0]);
    expect(tok.eosId).toBe(eot[0]);
    expect(tok.padId).toBe(eot[0]);
    expect(tok.vocabSize).toBe(eot[0] + 1);
    expect(tok.vocabSize).toBeLessThanOrEqual(1024);
  });

  it('round-trips arbitrary text (byte level)', async () => {
    const tok = await loadTokenizer({ dir: DIR });
    const rng = new Rng(9);
    const alphabet = [
      'a',
      'Z',
      ' ',
      '  ',
      '\n',
      '\t',
      'é',
      'ß',
      '中',
      '文',
      '🍎',
      '🍊',
      ',',
      "'s",
      '0',
      '42',
      '\u0000',
      '\u200b',
      '###',
    ];
    const samples = ['', 'Orange, Blueberry, Kiwi, Banana', '  leading and trailing  ', 'naïve café 🍏🍎 ÆØÅ'];
    for (let i = 0; i < 30; i++) {
      samples.push(Array.from({ length: 1 + rng.int(40) }, () => alphabet[rng.int(alphabet.length)]).join(''));
    }
    for (const s of samples) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('encodes the task text compactly', async () => {
    const tok = await loadTokenizer({ dir: DIR });
    const corpus = tokenizerCorpus(2);
    let tokens = 0;
    let chars = 0;
    let longest = 0;
    for (const text of corpus) {
      const n = tok.encode(text).length;
      tokens += n;
      chars += text.length;
      longest = Math.max(longest, n);
    }
    // Every task word is one token: about 4.5 characters per token (GPT-2 manages about 4).
    expect(chars / tokens).toBeGreaterThan(4);
    expect(longest + 2).toBeLessThanOrEqual(TINY_RECIPE.seqLen);
  });
});

describe('orchard-tiny model', () => {
  it('is a small GPT-2 that loads from its folder', async () => {
    const model = await loadModel(dirFiles(DIR));
    const tok = await loadTokenizer({ dir: DIR });
    expect(model.arch).toBe('gpt2');
    expect(model.config.vocabSize).toBe(tok.vocabSize);
    const params = [...model.weights.values()].reduce((s, w) => s + w.length, 0);
    expect(params).toBeLessThanOrEqual(2_000_000);
    expect(statSync(`${DIR}/model.safetensors`).size).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(readFileSync(`${DIR}/README.md`, 'utf8')).toMatch(/make:tiny-model/);
  });

  it('the recipe is deterministic: a reduced run twice gives the same bytes', async () => {
    const small = { ...TINY_RECIPE, nEmbd: 16, nLayer: 1, nHead: 2, steps: 3, batchSize: 4 };
    const hash = async () =>
      createHash('sha256')
        .update((await makeTinyModel(small)).safetensors)
        .digest('hex');
    const a = await hash();
    expect(await hash()).toBe(a);
    expect(
      createHash('sha256')
        .update((await makeTinyModel({ ...small, seed: 2 })).safetensors)
        .digest('hex'),
    ).not.toBe(a);
  });

  it('answers held-out instructions plausibly but imperfectly (oracle score)', async () => {
    const model = await loadModel(dirFiles(DIR));
    const tok = await loadTokenizer({ dir: DIR });
    const held = splitSpecs(TINY_RECIPE.seed, TINY_RECIPE.testFraction).test.slice(0, 32);
    const ev = await evaluateTiny(model, tok, held, 3);
    // Mostly right lists (the oracle gives partial credit per constraint)...
    expect(ev.greedy).toBeGreaterThan(0.6);
    expect(ev.sampled).toBeGreaterThan(0.6);
    // ...but many answers break at least one constraint: room for DPO/JPO.
    expect(ev.perfectGreedy).toBeLessThan(0.85);
    expect(ev.perfectSampled).toBeLessThan(0.7);
    expect(ev.perfectSampled).toBeGreaterThan(0.1);
  });
});
