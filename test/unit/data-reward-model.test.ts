import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildJudgeFiles } from '../../scripts/make-judge-onnx.ts';
// onnxruntime-web must be registered before transformers.js is first evaluated (see ort-web-node.ts),
// so the judge module, which imports transformers.js, is loaded dynamically after this import.
import { onnxRuntimeWeb } from '../../src/data/judges/ort-web-node.ts';

const { loadRewardModelJudge } = await import('../../src/data/judges/reward-model.ts');

const DIR = 'test/fixtures/judge';
const ref = JSON.parse(readFileSync(`${DIR}/reference.json`, 'utf8')) as {
  dim: number;
  vocab: string[];
  word_emb: number[];
  type_emb: number[];
  W: number[];
  b: number[];
};

/** Independent re-computation: BERT-style word split, [CLS] A [SEP] B [SEP], then the network in JS. */
function referenceReward(instruction: string, response: string): number {
  const index = new Map(ref.vocab.map((w, i) => [w, i]));
  const words = (text: string) =>
    text
      .toLowerCase()
      .split(/\s+|(?=[,.'!?])|(?<=[,.'!?])/)
      .filter((w) => w.length > 0)
      .map((w) => index.get(w) ?? index.get('[UNK]') ?? -1);
  const cls = index.get('[CLS]') ?? -1;
  const sep = index.get('[SEP]') ?? -1;
  const a = [cls, ...words(instruction), sep];
  const b = [...words(response), sep];
  const ids = [...a, ...b];
  const types = [...a.map(() => 0), ...b.map(() => 1)];
  const D = ref.dim;
  const pooled = new Array(D).fill(0);
  ids.forEach((id, t) => {
    for (let d = 0; d < D; d++) pooled[d] += Math.tanh(ref.word_emb[id * D + d] + ref.type_emb[types[t] * D + d]);
  });
  let out = ref.b[0];
  for (let d = 0; d < D; d++) out += (pooled[d] / ids.length) * ref.W[d];
  return out;
}

const ITEMS = [
  { instruction: 'Create a list of four fruits other than Apple', response: 'Orange, Blueberry, Kiwi, Banana' },
  { instruction: 'Create a list of four fruits other than Apple', response: 'Apple, Orange, Banana, Grape' },
  { instruction: 'Create a list of beach activities', response: "wear sunscreen, don't litter" },
  { instruction: 'List two tools', response: 'Hammer, Zeppelin' },
  { instruction: 'Name five countries in alphabetical order', response: 'Chile, France, Ghana, Japan, Peru' },
];

describe('reward-model judge (transformers.js + onnxruntime-web WASM in Node)', async () => {
  const judge = await loadRewardModelJudge({ source: { dir: DIR } });

  it('runs on onnxruntime-web, not onnxruntime-node', () => {
    expect(judge.runtime).toBe('onnxruntime-web');
    expect(judge.session).toBeInstanceOf(onnxRuntimeWeb.InferenceSession);
  });

  it('matches the same network computed in JS', async () => {
    for (const item of ITEMS) {
      const { score } = await judge.score(item);
      expect(score).toBeCloseTo(referenceReward(item.instruction, item.response), 5);
    }
  });

  it('gives the same rewards batched (padding masked) as one by one', async () => {
    const batched = await judge.scoreBatch(ITEMS);
    const single = await Promise.all(ITEMS.map(async (x) => (await judge.score(x)).score));
    for (let k = 0; k < ITEMS.length; k++) expect(batched[k]).toBeCloseTo(single[k], 5);
    expect(new Set(batched.map((x) => x.toFixed(6))).size).toBe(ITEMS.length);
  });

  it('compares by reward, consistently in both orders', async () => {
    const [a, b] = ITEMS;
    const ra = referenceReward(a.instruction, a.response);
    const rb = referenceReward(b.instruction, b.response);
    const v = await judge.compare(a, b);
    const w = await judge.compare(b, a);
    expect(v.winner).toBe(ra > rb ? 'a' : 'b');
    expect(w.winner).toBe(ra > rb ? 'b' : 'a');
    expect((await judge.compare(a, a)).winner).toBe('tie');
  });

  it('ships the files the generator script writes', () => {
    for (const [name, content] of Object.entries(buildJudgeFiles())) {
      const committed = readFileSync(`${DIR}/${name}`);
      expect(Buffer.compare(committed, Buffer.from(content)), name).toBe(0);
    }
  });
});
