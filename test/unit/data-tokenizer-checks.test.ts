/** Broken tokenizer.json files are refused with what is wrong, instead of encoding everything to [] or a TypeError. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tokenizerFromJson } from '../../src/data/tokenizer.ts';

const TINY = join(import.meta.dirname, '..', '..', 'public', 'models', 'orchard-tiny');
const tokJson = () => JSON.parse(readFileSync(join(TINY, 'tokenizer.json'), 'utf8'));
const tokConfig = JSON.parse(readFileSync(join(TINY, 'tokenizer_config.json'), 'utf8'));

function withModel(edit: (model: Record<string, unknown>, json: Record<string, unknown>) => void) {
  const json = tokJson();
  edit(json.model, json);
  return () => tokenizerFromJson(json, tokConfig, 'tiny');
}

describe('tokenizer.json checks', () => {
  it('accepts the bundled tokenizer', () => {
    expect(withModel(() => {})().encode('hello world').length).toBeGreaterThan(0);
  });

  it('refuses an empty or mistyped vocabulary', () => {
    expect(
      withModel((m, j) => {
        m.vocab = {};
        j.added_tokens = [];
      }),
    ).toThrow('tokenizer "tiny": tokenizer.json model.vocab must be a non-empty object {token: id}; it is empty');
    expect(
      withModel((m) => {
        m.vocab = [1, 2];
      }),
    ).toThrow(/model.vocab must be .*; it is a list/);
    expect(
      withModel((m) => {
        m.vocab = undefined;
      }),
    ).toThrow(/model.vocab must be .*; it is null/);
  });

  it('explains malformed merges, with the index of the first bad one', () => {
    expect(
      withModel((m) => {
        m.merges = { a: 1 };
      }),
    ).toThrow(/model.merges must be a list of merges \("a b" or \["a", "b"\]\); it is an object/);
    expect(
      withModel((m) => {
        m.merges = [['a', 'b'], 1];
      }),
    ).toThrow(
      'tokenizer "tiny": tokenizer.json model.merges[1] is 1; each merge must be "a b" (two tokens and one space) or ["a", "b"]',
    );
    expect(
      withModel((m) => {
        m.merges = ['a b', 'abc'];
      }),
    ).toThrow(/model.merges\[1\] is "abc"/);
    expect(
      withModel((m) => {
        m.merges = [['a', 'b', 'c']];
      }),
    ).toThrow(/model.merges\[0\] is \["a","b","c"\]/);
    // Both spellings of a good merge list load.
    expect(
      withModel((m) => {
        m.merges = (m.merges as string[][]).map((p) => p.join(' '));
      })().vocabSize,
    ).toBe(949);
  });
});
