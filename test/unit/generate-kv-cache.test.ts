/**
 * Generation with the KV cache (src/engine/generate.ts, models/decode.ts) on the CPU backend,
 * against recomputing the whole sequence with the training graph at every step, for a GPT-2
 * (learned positions) and a Llama with grouped-query attention (RoPE).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Generator, generate } from '../../src/engine/generate.ts';
import { Graph } from '../../src/engine/graph.ts';
import type { LoadedModel } from '../../src/engine/models/index.ts';
import { Rng } from '../../src/engine/random.ts';
import { argmax } from '../../src/engine/sampling.ts';
import { fullRecomputeLogits, paramStoreFor, tinyGpt2, tinyLlama, VOCAB } from './generate-helpers.ts';

const PROMPTS = [[1, 2, 3], [5, 6, 7, 8, 9, 10, 11, 12, 13], [4]];

const MODELS: [string, () => LoadedModel][] = [
  ['gpt2', () => tinyGpt2(11)],
  ['llama (GQA)', () => tinyLlama(12)],
];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(MODELS)('generation with a KV cache: %s', (_name, make) => {
  const model = make();
  const params = paramStoreFor(model, new CpuBackend());

  it('greedy: same tokens and logits (<= 1e-4) as a full recompute at every step', async () => {
    const r = await generate(model, params, PROMPTS, { maxNewTokens: 8, returnLogits: true });
    expect(r.finish).toEqual(['length', 'length', 'length']);
    for (let b = 0; b < PROMPTS.length; b++) {
      expect(r.tokens[b]).toHaveLength(8);
      for (let s = 0; s < r.tokens[b].length; s++) {
        const ref = await fullRecomputeLogits(model, params, [...PROMPTS[b], ...r.tokens[b].slice(0, s)]);
        expect(maxAbsDiff(r.logits?.[b][s] as Float32Array, ref)).toBeLessThanOrEqual(1e-4);
        expect(r.tokens[b][s]).toBe(argmax(ref));
      }
    }
  });

  it('batched prompts of different lengths give what each prompt gives alone', async () => {
    const gen = new Generator(model, params);
    const batch = await gen.generate(PROMPTS, { maxNewTokens: 10, returnLogits: true });
    for (let b = 0; b < PROMPTS.length; b++) {
      const alone = await gen.generate([PROMPTS[b]], { maxNewTokens: 10, returnLogits: true });
      expect(batch.tokens[b]).toEqual(alone.tokens[0]);
      for (let s = 0; s < 10; s++) {
        expect(maxAbsDiff(batch.logits?.[b][s] as Float32Array, alone.logits?.[0][s] as Float32Array)).toBeLessThan(
          1e-5,
        );
      }
    }
    // Sampling with one seed per row: each row draws what it draws alone with that seed.
    const opts = { maxNewTokens: 10, temperature: 1.2, topK: 20, topP: 0.95 };
    const sampled = await gen.generate(PROMPTS, { ...opts, seed: [101, 102, 103] });
    for (let b = 0; b < PROMPTS.length; b++) {
      const alone = await gen.generate([PROMPTS[b]], { ...opts, seed: [101 + b] });
      expect(sampled.tokens[b]).toEqual(alone.tokens[0]);
    }
    gen.dispose();
  });

  it('stays correct when shapes are evicted and rebuilt (maxCachedShapes 1)', async () => {
    const gen = new Generator(model, params, { maxCachedShapes: 1 });
    const first = await gen.generate(PROMPTS, { maxNewTokens: 6 });
    const alone = await gen.generate([PROMPTS[1]], { maxNewTokens: 30 });
    expect(alone.tokens[0].slice(0, 6)).toEqual(first.tokens[1]);
    expect(await gen.generate(PROMPTS, { maxNewTokens: 6 })).toEqual(first);
    gen.dispose();
    await expect(gen.generate(PROMPTS, { maxNewTokens: 1 })).rejects.toThrow(/disposed/);
  });

  it('seeded sampling is deterministic and the seed matters', async () => {
    const opts = { maxNewTokens: 12, temperature: 1.5 };
    const a = await generate(model, params, PROMPTS, { ...opts, seed: 5 });
    const b = await generate(model, params, PROMPTS, { ...opts, seed: 5 });
    const c = await generate(model, params, PROMPTS, { ...opts, seed: 6 });
    expect(a.tokens).toEqual(b.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
  });

  it('stops a row at its first stop id and keeps it; other rows go on', async () => {
    const free = await generate(model, params, PROMPTS, { maxNewTokens: 10 });
    const stopId = free.tokens[0][3];
    const r = await generate(model, params, PROMPTS, { maxNewTokens: 10, stopIds: [stopId, null] });
    for (let b = 0; b < PROMPTS.length; b++) {
      const at = free.tokens[b].indexOf(stopId);
      if (at < 0) {
        expect(r.tokens[b]).toEqual(free.tokens[b]);
        expect(r.finish[b]).toBe('length');
      } else {
        expect(r.tokens[b]).toEqual(free.tokens[b].slice(0, at + 1));
        expect(r.finish[b]).toBe('stop');
      }
    }
    expect(r.finish[0]).toBe('stop');
  });

  it('stops at the end of the model context', async () => {
    const ctx = model.config.maxPositions;
    const prompt = Array.from({ length: ctx - 4 }, (_, i) => (i * 7) % VOCAB);
    const r = await generate(model, params, [prompt, [1, 2]], { maxNewTokens: 50, returnLogits: true });
    // Tokens are predicted from positions < ctx: ctx - len + 1 of them for the long prompt.
    expect(r.tokens[0]).toHaveLength(5);
    expect(r.finish[0]).toBe('length');
    const last = r.tokens[0].length - 1;
    const ref = await fullRecomputeLogits(model, params, [...prompt, ...r.tokens[0].slice(0, last)]);
    expect(maxAbsDiff(r.logits?.[0][last] as Float32Array, ref)).toBeLessThanOrEqual(1e-4);
  });
});

describe('generation with LoRA adapters', () => {
  it('uses the adapters exactly as the training graph does', async () => {
    const model = tinyLlama(13);
    const params = paramStoreFor(model, new CpuBackend());
    const build = { lora: { r: 2, alpha: 4, targetModules: ['q_proj', 'v_proj', 'down_proj'] } };
    // Non-zero A and B (a fresh adapter has B = 0 and would change nothing).
    const g = new Graph();
    model.buildLogits(g, g.input('ids', [1, 2], 'i32'), g.input('keyMask', [1, 2]), build);
    const rng = new Rng(4);
    params.addFromGraph(g, (_name, shape) =>
      rng.normals(
        shape.reduce((a, b) => a * b, 1),
        0.3,
      ),
    );
    const r = await generate(model, params, PROMPTS, { maxNewTokens: 5, returnLogits: true, build });
    const plain = await generate(model, params, PROMPTS, { maxNewTokens: 5 });
    expect(r.tokens).not.toEqual(plain.tokens);
    for (let b = 0; b < PROMPTS.length; b++) {
      for (let s = 0; s < 5; s++) {
        const ref = await fullRecomputeLogits(model, params, [...PROMPTS[b], ...r.tokens[b].slice(0, s)], build);
        expect(maxAbsDiff(r.logits?.[b][s] as Float32Array, ref)).toBeLessThanOrEqual(1e-4);
      }
    }
  });
});

describe('generate input checks', () => {
  const model = tinyGpt2(1);
  const params = paramStoreFor(model, new CpuBackend());
  it('names the bad prompt', async () => {
    await expect(generate(model, params, [[1], []], { maxNewTokens: 2 })).rejects.toThrow(/prompt 1 is empty/);
    await expect(generate(model, params, [[1, VOCAB]], { maxNewTokens: 2 })).rejects.toThrow(/token id 41/);
    await expect(generate(model, params, [[1]], { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
    await expect(generate(model, params, [[1], [2]], { maxNewTokens: 2, seed: [1] })).rejects.toThrow(/one per prompt/);
  });
});
