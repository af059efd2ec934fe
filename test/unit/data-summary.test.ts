import { describe, expect, it } from 'vitest';
import { importPreferences } from '../../src/data/import.ts';
import { lengthStats, summarize } from '../../src/data/summary.ts';
import { loadTokenizer } from '../../src/data/tokenizer.ts';

describe('lengthStats', () => {
  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 20 }, (_, k) => 20 - k);
    expect(lengthStats(values)).toEqual({ count: 20, min: 1, mean: 10.5, p50: 10, p95: 19, max: 20 });
    expect(lengthStats([7])).toEqual({ count: 1, min: 7, mean: 7, p50: 7, p95: 7, max: 7 });
    expect(lengthStats([])).toBeNull();
  });
});

describe('summarize', async () => {
  const rows = [
    { i_chosen: 'Hello world', r_chosen: 'Hello', i_reject: 'Hello world', r_reject: '' },
    { i_chosen: 'Hello world', r_chosen: 'Hello', i_reject: 'Hello world', r_reject: '' },
    { i_chosen: 'a', r_chosen: 'b', i_reject: 'c', r_reject: 'd' },
    { i_chosen: 'x', r_chosen: 'y', i_reject: 'x', r_reject: 'y' },
  ];
  const file = `${rows.map((r) => JSON.stringify(r)).join('\n')}\n{"i_chosen": 1}\n`;
  const result = await importPreferences(file);
  const tok = await loadTokenizer({ dir: '../shared/data/tokenizers/gpt2' });

  it('counts rows, kinds, duplicates, identical sides and empty fields', () => {
    const s = summarize(result);
    expect(s).toMatchObject({
      pairs: 4,
      problems: 1,
      conditional: 3,
      joint: 1,
      distinctInstructions: 4,
      duplicates: 1,
      identicalSides: 1,
      emptyFields: { r_reject: 2 },
      unit: 'characters',
    });
    // Characters per side: instructions 11,11,11,11,1,1,1,1; responses 5,0,5,0,1,1,1,1.
    expect(s.promptLength).toEqual({ count: 8, min: 1, mean: 6, p50: 1, p95: 11, max: 11 });
    expect(s.responseLength).toEqual({ count: 8, min: 0, mean: 14 / 8, p50: 1, p95: 5, max: 5 });
  });

  it('counts tokens of the formatted prompt and the joined response, and truncation', () => {
    const s = summarize(result, { tokenizer: tok, template: '{instruction}:', maxLength: 5 });
    // "Hello world:" = Hello| world|: (3 tokens); "a:" = a|: (2). " Hello" = 1 token, "" = 0, " b" = 1.
    expect(s.promptLength).toMatchObject({ min: 2, max: 3, p50: 2 });
    expect(s.responseLength).toMatchObject({ min: 0, max: 1 });
    // Only the two "Hello world" + " Hello" sides exceed 5: BOS + 3 + 1 + EOS = 6. "Hello world" with an
    // empty response is BOS + 3 + EOS = 5 and "a" + " b" is BOS + 2 + 1 + EOS = 5: both fit exactly.
    expect(s.truncation).toEqual({ maxLength: 5, truncatedSides: 2, sides: 8 });
  });
});
