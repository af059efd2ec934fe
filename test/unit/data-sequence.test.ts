import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  batchEncoded,
  bucketLength,
  CHAT_TEMPLATE,
  encodePair,
  encodeRow,
  formatPrompt,
  PAPER_TEMPLATE,
  responseText,
} from '../../src/data/sequence.ts';
import { loadTokenizer, type Tokenizer } from '../../src/data/tokenizer.ts';

/** A character-level tokenizer with configurable specials, to check the rules independently of BPE. */
function charTokenizer(bos: boolean, eos = true): Tokenizer {
  return {
    name: 'chars',
    bosId: bos ? 1000 : null,
    eosId: eos ? 1001 : null,
    padId: 0,
    vocabSize: 1002,
    chatTemplate: null,
    encode: (text) => Array.from(text, (c) => c.codePointAt(0) ?? 0),
    decode: (ids) => String.fromCodePoint(...ids),
  };
}

describe('encodePair with the GPT-2 tokenizer', async () => {
  const tok = await loadTokenizer({ dir: '../shared/data/tokenizers/gpt2' });
  const instruction = 'Create a list of four fruits other than Apple';
  const response = 'Orange, Blueberry, Kiwi, Banana';
  const prompt = PAPER_TEMPLATE.replace('{instruction}', instruction);

  it('is BOS + prompt + " " + response + EOS, tokenized in two parts', () => {
    const joint = encodePair(tok, instruction, response, { mode: 'joint' });
    const p = tok.encode(prompt);
    const r = tok.encode(` ${response}`);
    expect(joint.ids).toEqual([50256, ...p, ...r, 50256]);
    expect(tok.decode(joint.ids)).toBe(`<|endoftext|>${prompt} ${response}<|endoftext|>`);
    expect(joint.responseStart).toBe(1 + p.length);
    // Known GPT-2 tokens: "###" = 21017, ":" = 25, "\n" = 198 (GPT-2's regex splits "\n\n###" as \n|\n|###).
    expect(p.slice(0, 3)).toEqual([21017, 27759, 25]);
    expect(p.join(',')).toContain('198,198,21017');
    expect(joint.truncated).toBe(false);
  });

  it('masks: joint counts all but BOS, conditional only response + EOS', () => {
    const joint = encodePair(tok, instruction, response, { mode: 'joint' });
    const cond = encodePair(tok, instruction, response, {
      mode: 'conditional',
    });
    expect(cond.ids).toEqual(joint.ids);
    const n = joint.ids.length;
    const rs = joint.responseStart;
    expect(joint.mask).toEqual([0, ...Array(n - 1).fill(1)]);
    expect(cond.mask).toEqual([...Array(rs).fill(0), ...Array(n - rs).fill(1)]);
    expect(cond.mask.reduce((a, b) => a + b, 0)).toBe(tok.encode(` ${response}`).length + 1);
  });

  it('encodes both sides of a joint row', () => {
    const row = { i_chosen: instruction, r_chosen: response, i_reject: 'List two tools', r_reject: 'Kiwi, Fig' };
    const { chosen, rejected } = encodeRow(tok, row, { mode: 'joint' });
    expect(chosen.ids).toEqual(encodePair(tok, instruction, response, { mode: 'joint' }).ids);
    expect(tok.decode(rejected.ids)).toBe(
      '<|endoftext|>### Instructions: List two tools\n\n### Response: Kiwi, Fig<|endoftext|>',
    );
  });
});

describe('chat templates through transformers.js (Jinja)', async () => {
  const dir = '../shared/data/tokenizers/gpt2';
  const tokenizerJson = JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8'));
  const chatml =
    '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';

  it('Qwen-style: no BOS, the prompt ends in a newline so no space is added', async () => {
    const tok = await loadTokenizer({
      files: { tokenizerJson, tokenizerConfig: { bos_token: null, eos_token: '<|endoftext|>', chat_template: chatml } },
      name: 'chatml-gpt2',
    });
    expect(tok.bosId).toBeNull();
    const prompt = '<|im_start|>user\nName a fruit<|im_end|>\n<|im_start|>assistant\n';
    expect(formatPrompt(tok, 'Name a fruit', CHAT_TEMPLATE)).toBe(prompt);
    const e = encodePair(tok, 'Name a fruit', 'Kiwi', { mode: 'joint', template: CHAT_TEMPLATE });
    expect(e.ids).toEqual([...tok.encode(prompt), ...tok.encode('Kiwi'), 50256]);
    expect(e.mask[0]).toBe(0);
    expect(e.mask.slice(1).every((m) => m === 1)).toBe(true);
  });

  it('Llama-style: the BOS text a template writes is replaced by the BOS id', async () => {
    const tok = await loadTokenizer({
      files: {
        tokenizerJson,
        tokenizerConfig: {
          bos_token: '<|endoftext|>',
          eos_token: '<|endoftext|>',
          chat_template: `{{ bos_token }}${chatml}`,
        },
      },
    });
    const e = encodePair(tok, 'Hi', 'Yo', { mode: 'conditional', template: CHAT_TEMPLATE });
    expect(e.ids.filter((id) => id === 50256)).toHaveLength(2);
    expect(tok.decode(e.ids)).toBe(
      '<|endoftext|><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|endoftext|>',
    );
  });
});

describe('template rules', () => {
  const tok = charTokenizer(true);

  it('joins prompt and response with one space only where needed', () => {
    expect(responseText('### Response:', 'Kiwi')).toBe(' Kiwi');
    expect(responseText('### Response:', ' Kiwi')).toBe(' Kiwi');
    expect(responseText('assistant\n', 'Kiwi')).toBe('Kiwi');
    expect(responseText('### Response:', '')).toBe('');
  });

  it('substitutes custom templates and rejects ones without {instruction}', () => {
    expect(formatPrompt(tok, 'hi', 'Q: {instruction}\nA:')).toBe('Q: hi\nA:');
    expect(formatPrompt(tok, 'say {instruction}', '{instruction}|{instruction}')).toBe(
      'say {instruction}|say {instruction}',
    );
    expect(() => formatPrompt(tok, 'hi', 'no placeholder')).toThrow(/\{instruction\}/);
    expect(() => formatPrompt(tok, 'hi', CHAT_TEMPLATE)).toThrow(/chat_template/);
  });

  it('renders a chat template and strips the BOS text it writes', () => {
    const chat: Tokenizer = {
      ...charTokenizer(true),
      bosToken: '<s>',
      chatTemplate: 'x',
      applyChatTemplate: (messages, o) =>
        `<s>[INST] ${messages[0].content} [/INST]${o.addGenerationPrompt ? '\n' : ''}`,
    };
    expect(formatPrompt(chat, 'hi', CHAT_TEMPLATE)).toBe('[INST] hi [/INST]\n');
    const e = encodePair(chat, 'hi', 'yo', {
      mode: 'conditional',
      template: CHAT_TEMPLATE,
    });
    expect(chat.decode(e.ids.slice(1, -1))).toBe('[INST] hi [/INST]\nyo');
  });
});

describe('no-BOS tokenizers (Qwen-style)', () => {
  it('never counts position 0', () => {
    const tok = charTokenizer(false);
    const j = encodePair(tok, 'ab', 'cd', {
      mode: 'joint',
      template: '{instruction}',
    });
    expect(j.ids).toEqual([97, 98, 32, 99, 100, 1001]);
    expect(j.mask).toEqual([0, 1, 1, 1, 1, 1]);
    const c = encodePair(tok, '', 'cd', {
      mode: 'conditional',
      template: '{instruction}',
    });
    expect(c.ids).toEqual([99, 100, 1001]);
    expect(c.mask).toEqual([0, 1, 1]);
  });
});

describe('truncation', () => {
  const tok = charTokenizer(true);
  const opts = { template: '{instruction}:' } as const;

  it('keeps the end of a long prompt', () => {
    const e = encodePair(tok, 'abcdef', 'xy', { ...opts, mode: 'conditional', maxPromptLength: 3 });
    expect(tok.decode(e.ids.slice(1, 4))).toBe('ef:');
    expect(e.ids.length).toBe(1 + 3 + 3 + 1);
    expect(e.truncated).toBe(true);
  });

  it('cuts the response end and drops EOS', () => {
    const e = encodePair(tok, 'ab', 'wxyz', { ...opts, mode: 'conditional', maxLength: 6 });
    expect(e.ids).toEqual([1000, 97, 98, 58, 32, 119]);
    expect(e.mask).toEqual([0, 0, 0, 0, 1, 1]);
    expect(e.truncated).toBe(true);
  });

  it('keeps EOS when the sequence fits exactly', () => {
    const e = encodePair(tok, 'ab', 'w', { ...opts, mode: 'joint', maxLength: 7 });
    expect(e.ids).toEqual([1000, 97, 98, 58, 32, 119, 1001]);
    expect(e.truncated).toBe(false);
  });

  it('cuts the prompt further when it alone fills maxLength', () => {
    const e = encodePair(tok, 'abcdef', 'xy', { ...opts, mode: 'conditional', maxLength: 4 });
    expect(e.ids).toEqual([1000, 102, 58, 32]);
    expect(e.mask).toEqual([0, 0, 0, 1]);
    expect(() => encodePair(tok, 'a', 'b', { ...opts, mode: 'joint', maxLength: 1 })).toThrow(/maxLength/);
  });
});

describe('batchEncoded', () => {
  it('right-pads to the next bucket with mask 0', () => {
    const rows = [
      { ids: [5, 6, 7], mask: [0, 1, 1] },
      {
        ids: Array.from({ length: 20 }, (_, i) => i + 1),
        mask: Array(20).fill(1),
      },
    ];
    const b = batchEncoded(rows, { padId: 99 });
    expect(b.B).toBe(2);
    expect(b.T).toBe(32);
    expect(Array.from(b.ids.subarray(0, 5))).toEqual([5, 6, 7, 99, 99]);
    expect(Array.from(b.mask.subarray(0, 5))).toEqual([0, 1, 1, 0, 0]);
    expect(b.ids[32 + 19]).toBe(20);
    expect(b.ids[32 + 20]).toBe(99);
    expect(b.mask.reduce((a, x) => a + x, 0)).toBe(22);
  });

  it('chooses buckets and falls back to the exact length', () => {
    expect(bucketLength(16)).toBe(16);
    expect(bucketLength(17)).toBe(32);
    expect(bucketLength(1025)).toBe(1025);
    expect(bucketLength(9, [])).toBe(9);
    expect(bucketLength(9, [12, 8])).toBe(12);
    expect(() => batchEncoded([], { padId: 0 })).toThrow(/no rows/);
    expect(() => batchEncoded([{ ids: [1], mask: [] }], { padId: 0 })).toThrow(/row 0/);
  });
});
