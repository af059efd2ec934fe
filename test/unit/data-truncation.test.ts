/**
 * data.truncation: "trl" (TRL's DPOTrainer, the paper's code) cuts the prompt to maxPromptLength only
 * when prompt + the pair's longer response exceed maxLength, then cuts responses to
 * maxLength − maxPromptLength; "prompt-first" (version 1) always cuts the prompt first. Token counts
 * are made by hand with a character tokenizer (one id per character). Also: a 2 MB response is never
 * tokenized in full, and the kept ids are the tokenizer's own.
 */
import { describe, expect, it } from 'vitest';
import { encodePair, encodeRow } from '../../src/data/sequence.ts';
import { loadTokenizer, type Tokenizer } from '../../src/data/tokenizer.ts';
import { planExperiment } from '../../src/lab/plan.ts';
import { parseSpec } from '../../src/lab/spec.ts';

const BOS = 1000;
const EOS = 1001;
const chars = (bos: number | null): Tokenizer => ({
  name: 'chars',
  bosId: bos,
  eosId: EOS,
  padId: 0,
  vocabSize: 1002,
  chatTemplate: null,
  encode: (text) => Array.from(text, (c) => c.codePointAt(0) ?? 0),
  decode: (ids) => String.fromCodePoint(...ids.filter((id) => id < 1000)),
});
const tok = chars(BOS);
/** Prompt "aaaaaaaaa>" = 10 characters; no separator, so every count below is exact. */
const INSTRUCTION = 'aaaaaaaaa';
const base = { mode: 'joint' as const, template: '{instruction}>', separator: 'none' as const };
const limits = { maxLength: 16, maxPromptLength: 4 };
const trl = { ...base, ...limits, truncation: 'trl' as const };
const v1 = { ...base, ...limits, truncation: 'prompt-first' as const };
const code = (s: string) => Array.from(s, (c) => c.codePointAt(0) ?? 0);

describe('TRL truncation, by hand', () => {
  it('keeps a prompt longer than maxPromptLength when the pair fits (prompt-first cuts it)', () => {
    // BOS + 10 + "bbb" + EOS = 15 <= 16.
    const t = encodePair(tok, INSTRUCTION, 'bbb', trl);
    expect(t.ids).toEqual([BOS, ...code('aaaaaaaaa>bbb'), EOS]);
    expect(t.truncated).toBe(false);
    // prompt-first: 4 prompt tokens after BOS, then "bbb" + EOS = 9.
    const p = encodePair(tok, INSTRUCTION, 'bbb', v1);
    expect(p.ids).toEqual([BOS, ...code('aaa>bbb'), EOS]);
    expect(p.truncated).toBe(true);
  });

  it('cuts the prompt to maxPromptLength tokens, BOS counted, and keeps a response that then fits', () => {
    // BOS + 10 + 6 + EOS = 18 > 16: prompt -> BOS + "aa>" (4); 4 + 7 = 11 fits.
    const t = encodePair(tok, INSTRUCTION, 'bbbbbb', trl);
    expect(t.ids).toEqual([BOS, ...code('aa>bbbbbb'), EOS]);
    expect(t.responseStart).toBe(4);
    expect(t.truncated).toBe(true);
  });

  it('then cuts the response to maxLength − maxPromptLength tokens, dropping its EOS', () => {
    // BOS + 10 + 20 + EOS = 32: prompt -> 4; 4 + 21 = 25 > 16: response -> 16 − 4 = 12 tokens.
    const t = encodePair(tok, INSTRUCTION, 'b'.repeat(20), trl);
    expect(t.ids).toEqual([BOS, ...code('aa>'), ...code('b'.repeat(12))]);
    expect(t.ids).toHaveLength(16);
  });

  it("uses the pair's longer response for both sides, so they keep the same prompt", () => {
    const row = { i_chosen: INSTRUCTION, r_chosen: 'bbb', i_reject: INSTRUCTION, r_reject: 'c'.repeat(20) };
    const { chosen, rejected } = encodeRow(tok, row, trl);
    // Longer response 20 + EOS: 1 + 10 + 21 > 16, both prompts -> BOS + "aa>"; "bbb" + EOS fits the 12.
    expect(chosen.ids).toEqual([BOS, ...code('aa>bbb'), EOS]);
    expect(rejected.ids).toEqual([BOS, ...code('aa>'), ...code('c'.repeat(12))]);
    // Alone, the chosen side would have fit whole.
    expect(encodePair(tok, INSTRUCTION, 'bbb', trl).ids).toHaveLength(15);
  });

  it('without a BOS, maxPromptLength counts prompt tokens only', () => {
    const t = encodePair(chars(null), INSTRUCTION, 'b'.repeat(20), trl);
    expect(t.ids).toEqual([...code('aaa>'), ...code('b'.repeat(12))]);
  });
});

describe('bounded tokenization keeps the ids', () => {
  it("a 2 MB response: only a prefix is tokenized, and the ids are the tokenizer's", async () => {
    const gpt2 = await loadTokenizer({ dir: '../shared/data/tokenizers/gpt2' });
    let longest = 0;
    const counting: Tokenizer = {
      ...gpt2,
      encode: (text) => {
        longest = Math.max(longest, text.length);
        return gpt2.encode(text);
      },
    };
    const response = 'apple kiwi '.repeat(200_000);
    const opts = { mode: 'conditional' as const, maxLength: 64, maxPromptLength: 40, truncation: 'trl' as const };
    const got = encodePair(counting, 'List two fruits', response, opts);
    expect(longest).toBeLessThan(100_000);
    const prompt = gpt2.encode('### Instructions: List two fruits\n\n### Response:');
    // The prompt fits its 40 tokens, so the response gets 64 − 40 = 24 tokens, no EOS.
    expect(got.ids).toEqual([gpt2.bosId, ...prompt, ...gpt2.encode(` ${response.slice(0, 400)}`).slice(0, 24)]);
    expect(got.truncated).toBe(true);
  });
});

describe('data.truncation in the spec', () => {
  it('is "trl" when left out; a version-1 spec keeps "prompt-first"', () => {
    const v2 = parseSpec({ version: 2 });
    expect(v2.ok && planExperiment(v2.spec).data.encoding.truncation).toBe('trl');
    const old = parseSpec({ version: 1 });
    expect(old.ok && old.spec.data.truncation).toBe('prompt-first');
    expect(old.ok && planExperiment(old.spec).data.encoding.truncation).toBe('prompt-first');
  });

  it('names the choices for a bad value', () => {
    const bad = parseSpec({ version: 2, data: { truncation: 'keep_end' } });
    expect(!bad.ok && bad.errors[0].path).toBe('data.truncation');
    expect(!bad.ok && bad.errors[0].message).toContain('"trl"');
  });
});
