/** Neural-net kernels (embedding, norms, rotary, causal softmax, token log-probs, KV cache) against the CPU backend. */
import { describe, it } from 'vitest';
import type { RowStrategy } from '../../src/engine/backends/webgpu/index.ts';
import {
  checkAgainstCpu,
  f32,
  gpuBackendPerVariant,
  i32,
  LOOSE,
  Rng,
  randn,
  TIGHT,
  uniform,
} from './webgpu-helpers.ts';

// Both row strategies run on every adapter: workgroup-per-row (GPU default) and thread-per-row (CPU-adapter default).
const STRATEGIES: RowStrategy[] = ['workgroup', 'thread'];
const backendFor = gpuBackendPerVariant(STRATEGIES, (rows) => ({ rows }));

const rng = new Rng(19);
const ids = (n: number, vocab: number) =>
  i32(
    [n],
    Array.from({ length: n }, () => rng.int(vocab)),
  );

for (const rows of STRATEGIES) {
  const gpu = () => backendFor(rows);
  describe(`embedding (${rows})`, () => {
    it('lookup of [3, 5] ids in a [23, 13] table', async () => {
      const table = randn(rng, [23, 13]);
      const idx = { ...ids(15, 23), shape: [3, 5] };
      await checkAgainstCpu(gpu(), { op: 'embedding', attrs: {}, inputs: [table, idx], out: [3, 5, 13] }, TIGHT);
    });
    it('gradient with repeated ids (scatter-add) into an output that held data', async () => {
      const idx = i32([3, 6], [4, 1, 4, 22, 0, 4, 1, 1, 7, 22, 3, 4, 9, 9, 9, 0, 4, 2]);
      await checkAgainstCpu(
        gpu(),
        {
          op: 'embedding_grad',
          attrs: { vocab: 23 },
          inputs: [idx, randn(rng, [3, 6, 13])],
          out: [23, 13],
          outSlack: 5,
          outFill: 7,
        },
        LOOSE,
      );
    });
  });

  describe(`layernorm and rmsnorm (${rows})`, () => {
    // 300 columns: more than one pass of the workgroup's threads per row; 19 rows.
    for (const D of [7, 300]) {
      const x = randn(rng, [19, D], 2);
      for (let i = 0; i < x.data.length; i++) x.data[i] += 0.5; // a non-zero mean
      const w = randn(rng, [D]);
      const b = randn(rng, [D]);
      const g = randn(rng, [19, D]);
      const eps = 1e-5;
      it(`layernorm D=${D}: forward, grad_x, grad_w`, async () => {
        await checkAgainstCpu(gpu(), { op: 'layernorm', attrs: { eps }, inputs: [x, w, b], out: [19, D] }, LOOSE);
        await checkAgainstCpu(
          gpu(),
          { op: 'layernorm_grad_x', attrs: { eps }, inputs: [x, w, g], out: [19, D] },
          LOOSE,
        );
        await checkAgainstCpu(gpu(), { op: 'layernorm_grad_w', attrs: { eps }, inputs: [x, g], out: [D] }, LOOSE);
      });
      it(`rmsnorm D=${D}: forward, grad_x, grad_w`, async () => {
        await checkAgainstCpu(gpu(), { op: 'rmsnorm', attrs: { eps }, inputs: [x, w], out: [19, D] }, LOOSE);
        await checkAgainstCpu(gpu(), { op: 'rmsnorm_grad_x', attrs: { eps }, inputs: [x, w, g], out: [19, D] }, LOOSE);
        await checkAgainstCpu(gpu(), { op: 'rmsnorm_grad_w', attrs: { eps }, inputs: [x, g], out: [D] }, LOOSE);
      });
    }
    it('grad_w over 600 rows (two-pass column reduction)', async () => {
      const x = randn(rng, [600, 9]);
      const g = randn(rng, [600, 9]);
      await checkAgainstCpu(gpu(), { op: 'layernorm_grad_w', attrs: { eps: 1e-5 }, inputs: [x, g], out: [9] }, LOOSE);
      await checkAgainstCpu(gpu(), { op: 'rmsnorm_grad_w', attrs: { eps: 1e-6 }, inputs: [x, g], out: [9] }, LOOSE);
    });
  });

  describe(`rotary embeddings and KV cache (${rows})`, () => {
    const shape = [2, 3, 37, 10];
    it('rope forward and inverse (positions up to 36)', async () => {
      const x = randn(rng, shape);
      await checkAgainstCpu(
        gpu(),
        { op: 'rope', attrs: { theta: 10000, inverse: false }, inputs: [x], out: shape },
        TIGHT,
      );
      await checkAgainstCpu(
        gpu(),
        { op: 'rope', attrs: { theta: 500000, inverse: true }, inputs: [x], out: shape },
        TIGHT,
      );
    });
    it('rope_at at per-row offsets, including far positions', async () => {
      const x = randn(rng, [2, 3, 4, 10]);
      await checkAgainstCpu(
        gpu(),
        { op: 'rope_at', attrs: { theta: 10000 }, inputs: [x, i32([2], [5, 1900])], out: [2, 3, 4, 10] },
        TIGHT,
      );
    });
    it('cache_write in place, dropping rows past the end', async () => {
      const cache = randn(rng, [2, 3, 6, 4]);
      const x = randn(rng, [2, 3, 2, 4]);
      const c = { op: 'cache_write' as const, attrs: {}, inputs: [cache, x, i32([2], [1, 5])], out: [2, 3, 6, 4] };
      await checkAgainstCpu(gpu(), { ...c, inPlace: 0 }, TIGHT, 'cache_write in place');
      await checkAgainstCpu(gpu(), c, TIGHT, 'cache_write into a copy');
    });
  });

  describe(`softmax_causal (${rows})`, () => {
    const keyMask = (B: number, T: number, zeroRow: boolean) => {
      const m = uniform(rng, [B, T], 0, 1);
      for (let i = 0; i < m.data.length; i++) m.data[i] = m.data[i] > 0.25 ? 1 : 0;
      m.data[0] = zeroRow ? 0 : 1; // b = 0, key 0 masked: query 0 of batch 0 sees no key at all
      return m;
    };
    it('square scores with padding and a fully masked row', async () => {
      const scores = randn(rng, [2, 3, 37, 37], 3);
      await checkAgainstCpu(
        gpu(),
        { op: 'softmax_causal', attrs: { scale: 0.3 }, inputs: [scores, keyMask(2, 37, true)], out: [2, 3, 37, 37] },
        LOOSE,
      );
    });
    it('decoding: Tq < Tk', async () => {
      for (const Tq of [1, 3]) {
        const scores = randn(rng, [2, 3, Tq, 9]);
        await checkAgainstCpu(
          gpu(),
          { op: 'softmax_causal', attrs: { scale: 0.5 }, inputs: [scores, keyMask(2, 9, false)], out: [2, 3, Tq, 9] },
          LOOSE,
        );
      }
    });
    it('gradient', async () => {
      const probs = uniform(rng, [2, 3, 37, 37], 0, 1);
      await checkAgainstCpu(
        gpu(),
        {
          op: 'softmax_causal_grad',
          attrs: { scale: 0.3 },
          inputs: [probs, randn(rng, [2, 3, 37, 37])],
          out: [2, 3, 37, 37],
        },
        LOOSE,
      );
    });
  });

  describe(`token_logprobs (fused log-softmax + gather) (${rows})`, () => {
    // 1000 columns: several elements per thread; targets include padding (-1) and both ends of the vocab.
    const logits = randn(rng, [9, 1000], 4);
    const targets = i32([9], [0, 999, -1, 5, 500, -1, 123, 77, 998]);
    it('forward', async () => {
      await checkAgainstCpu(gpu(), { op: 'token_logprobs', attrs: {}, inputs: [logits, targets], out: [9] }, LOOSE);
    });
    it('gradient', async () => {
      const g = f32([9], rng.normals(9));
      await checkAgainstCpu(
        gpu(),
        { op: 'token_logprobs_grad', attrs: {}, inputs: [logits, targets, g], out: [9, 1000] },
        LOOSE,
      );
    });
  });
}
