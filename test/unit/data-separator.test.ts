/**
 * data.separator: what joins the prompt and the response. "auto" (the default, today's rule) puts
 * a space after a prompt that ends in text; "none" is the paper code's plain concatenation. Token
 * counts are made by hand with a character tokenizer; the GPT-2 check compares decoded text.
 */
import { describe, expect, it } from 'vitest';
import { encodePair, PAPER_TEMPLATE } from '../../src/data/sequence.ts';
import { loadTokenizer, type Tokenizer } from '../../src/data/tokenizer.ts';
import { planExperiment } from '../../src/lab/plan.ts';
import { parseSpec, validateSpec, withDefaults } from '../../src/lab/spec.ts';

/** One id per character, BOS 1000, EOS 1001. */
const chars: Tokenizer = {
  name: 'chars',
  bosId: 1000,
  eosId: 1001,
  padId: 0,
  vocabSize: 1002,
  chatTemplate: null,
  encode: (text) => Array.from(text, (c) => c.codePointAt(0) ?? 0),
  decode: (ids) => String.fromCodePoint(...ids),
};

describe('data.separator in encodePair', () => {
  // "### Instructions: " (18) + "Q" (1) + "\n\n" (2) + "### Response:" (13) = 34 prompt characters.
  const PROMPT_CHARS = 34;

  it('auto adds one space token after "### Response:", none adds nothing', () => {
    const auto = encodePair(chars, 'Q', 'Kiwi', { mode: 'conditional' });
    const none = encodePair(chars, 'Q', 'Kiwi', { mode: 'conditional', separator: 'none' });
    expect(auto.ids.length).toBe(1 + PROMPT_CHARS + 5 + 1); // BOS, prompt, " Kiwi", EOS
    expect(none.ids.length).toBe(1 + PROMPT_CHARS + 4 + 1); // BOS, prompt, "Kiwi", EOS
    expect(auto.responseStart).toBe(1 + PROMPT_CHARS);
    expect(none.responseStart).toBe(1 + PROMPT_CHARS);
    expect(auto.mask.reduce((a, b) => a + b, 0)).toBe(6);
    expect(none.mask.reduce((a, b) => a + b, 0)).toBe(5);
    expect(auto.ids[1 + PROMPT_CHARS]).toBe(32); // the space
    expect(none.ids[1 + PROMPT_CHARS]).toBe('K'.codePointAt(0));
  });

  it('auto adds no space where one is already there; none never changes the response', () => {
    expect(encodePair(chars, 'Q', ' Kiwi', { mode: 'joint' }).ids.length).toBe(1 + PROMPT_CHARS + 5 + 1);
    expect(encodePair(chars, 'Q', ' Kiwi', { mode: 'joint', separator: 'none' }).ids.length).toBe(
      1 + PROMPT_CHARS + 5 + 1,
    );
    const newline = { mode: 'joint' as const, template: 'Q: {instruction}\n' }; // 3 + 1 + 1 = 5 characters
    expect(encodePair(chars, 'Q', 'Kiwi', newline).ids.length).toBe(1 + 5 + 4 + 1);
  });

  it('with GPT-2: "### Response: Kiwi" vs "### Response:Kiwi"', async () => {
    const tok = await loadTokenizer({ dir: '../shared/data/tokenizers/gpt2' });
    const prompt = PAPER_TEMPLATE.replace('{instruction}', 'List two fruits');
    const text = (separator: 'auto' | 'none') =>
      tok.decode(encodePair(tok, 'List two fruits', 'Kiwi, Fig', { mode: 'joint', separator }).ids);
    expect(text('auto')).toBe(`<|endoftext|>${prompt} Kiwi, Fig<|endoftext|>`);
    expect(text('none')).toBe(`<|endoftext|>${prompt}Kiwi, Fig<|endoftext|>`);
  });
});

describe('data.separator in the spec', () => {
  it('is optional ("auto" when unset), checked, and reaches the encoding plan', () => {
    expect(validateSpec(withDefaults()).ok).toBe(true);
    expect(withDefaults().data.separator).toBeUndefined();
    const r = parseSpec({ version: 2, data: { separator: 'nne' } });
    expect(!r.ok && r.errors[0]).toMatchObject({
      path: 'data.separator',
      message: expect.stringContaining('did you mean "none"'),
    });
    const none = parseSpec({ version: 2, data: { separator: 'none' } });
    if (!none.ok) throw new Error(JSON.stringify(none.errors));
    expect(planExperiment(none.spec).data.encoding.separator).toBe('none');
  });
});
