/**
 * Writes a tiny reward model that transformers.js loads as AutoModelForSequenceClassification,
 * with no download and no Python: the ONNX protobuf is encoded by hand below.
 *
 *   npx tsx scripts/make-judge-onnx.ts [outDir]      (default test/fixtures/judge)
 *
 * Files: config.json (model_type bert, one label), tokenizer.json + tokenizer_config.json (a BERT
 * WordPiece tokenizer over a ~250-word vocabulary: the Apples & Oranges lexicon and instruction
 * words), onnx/model.onnx, and reference.json (the weights, for an independent JS re-computation).
 *
 * The network (inputs int64 [B, T]: input_ids, attention_mask, token_type_ids; output logits [B, 1]):
 *   h = tanh(word_emb[input_ids] + type_emb[token_type_ids])          [B, T, D]
 *   pooled = sum_t(h * mask) / sum_t(mask)                             [B, D]
 *   logits = pooled @ W + b                                            [B, 1]
 * Weights are drawn from Rng(seed) (src/engine/random.ts), so the files are reproducible.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATEGORIES } from '../src/data/tasks/apples-lexicon.ts';
import { Rng } from '../src/engine/random.ts';

const SEED = 20240607;
const DIM = 8;
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const EXTRA_WORDS =
  "create make a list of name give me two three four five other than in alphabetical order and the wear sunscreen don t litter , . ' ! ?".split(
    ' ',
  );

// ---- a minimal protobuf writer (proto3 wire format: varints and length-delimited fields) ----
class Pb {
  private bytes: number[] = [];
  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }
  int(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }
  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.bytesField(field, m.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;

function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, data instanceof Float32Array ? FLOAT : INT64);
  t.str(8, name);
  return t.bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  const tensorType = new Pb().int(1, elemType).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensorType));
}

function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, number> = {}): Pb {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, `${op}_${outputs[0]}`).str(4, op);
  for (const [k, v] of Object.entries(attrs)) n.msg(5, new Pb().str(1, k).int(3, v).int(20, ATTR_INT));
  return n;
}

// ---- vocabulary, weights, files ----
function vocabulary(): string[] {
  const words = new Set<string>();
  for (const c of CATEGORIES) {
    for (const w of c.plural.split(' ')) words.add(w.toLowerCase());
    for (const item of c.items) for (const w of item.split(' ')) words.add(w.toLowerCase());
  }
  for (const w of EXTRA_WORDS) words.add(w);
  return [...SPECIAL, ...[...words].sort()];
}

export function buildJudgeFiles(): Record<string, string | Uint8Array> {
  const vocab = vocabulary();
  const rng = new Rng(SEED);
  const wordEmb = rng.normals(vocab.length * DIM, 0.8);
  const typeEmb = rng.normals(2 * DIM, 0.8);
  const W = rng.normals(DIM, 1);
  const b = Float32Array.of(0.25);

  const g = new Pb();
  for (const n of [
    node('Gather', ['word_emb', 'input_ids'], ['words']),
    node('Gather', ['type_emb', 'token_type_ids'], ['types']),
    node('Add', ['words', 'types'], ['summed']),
    node('Tanh', ['summed'], ['hidden']),
    node('Cast', ['attention_mask'], ['mask_f'], { to: FLOAT }),
    node('Unsqueeze', ['mask_f', 'axis2'], ['mask3']),
    node('Mul', ['hidden', 'mask3'], ['masked']),
    node('ReduceSum', ['masked', 'axis1'], ['total'], { keepdims: 0 }),
    node('ReduceSum', ['mask3', 'axis1'], ['count'], { keepdims: 0 }),
    node('Div', ['total', 'count'], ['pooled']),
    node('MatMul', ['pooled', 'W'], ['projected']),
    node('Add', ['projected', 'b'], ['logits']),
  ]) {
    g.msg(1, n);
  }
  g.str(2, 'orchard_tiny_reward_model');
  g.msg(5, tensor('word_emb', [vocab.length, DIM], wordEmb));
  g.msg(5, tensor('type_emb', [2, DIM], typeEmb));
  g.msg(5, tensor('W', [DIM, 1], W));
  g.msg(5, tensor('b', [1], b));
  g.msg(5, tensor('axis1', [1], BigInt64Array.of(1n)));
  g.msg(5, tensor('axis2', [1], BigInt64Array.of(2n)));
  for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) {
    g.msg(11, valueInfo(name, INT64, ['batch_size', 'sequence_length']));
  }
  g.msg(12, valueInfo('logits', FLOAT, ['batch_size', 1]));
  const model = new Pb()
    .int(1, 8)
    .str(2, 'orchard scripts/make-judge-onnx.ts')
    .msg(7, g)
    .msg(8, new Pb().str(1, '').int(2, 13))
    .finish();

  const special = (id: number) => ({
    id,
    content: SPECIAL[id],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((_, id) => special(id)),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((w, i) => [w, i])),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    model_max_length: 128,
  };
  const config = {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: vocab.length,
    hidden_size: DIM,
    num_hidden_layers: 0,
    num_attention_heads: 1,
    type_vocab_size: 2,
    max_position_embeddings: 128,
    id2label: { '0': 'REWARD' },
    label2id: { REWARD: 0 },
    problem_type: 'regression',
  };
  const reference = {
    note: 'weights of onnx/model.onnx, written by scripts/make-judge-onnx.ts, for an independent JS re-computation',
    seed: SEED,
    dim: DIM,
    vocab,
    word_emb: Array.from(wordEmb),
    type_emb: Array.from(typeEmb),
    W: Array.from(W),
    b: Array.from(b),
  };
  const json = (x: unknown) => `${JSON.stringify(x, null, 1)}\n`;
  return {
    'config.json': json(config),
    'tokenizer.json': json(tokenizerJson),
    'tokenizer_config.json': json(tokenizerConfig),
    'onnx/model.onnx': model,
    'reference.json': `${JSON.stringify(reference)}\n`,
  };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('make-judge-onnx.ts')) {
  const outDir = process.argv[2] ?? 'test/fixtures/judge';
  for (const [name, content] of Object.entries(buildJudgeFiles())) {
    const path = join(outDir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${path} (${content.length} ${typeof content === 'string' ? 'chars' : 'bytes'})`);
  }
}
