/**
 * Tensors split across several storage bindings. GPT-2's tied 50257x768 table (154 MB) is over
 * the default 128 MiB binding limit; here the backend's segment size is forced down to 1 KiB
 * (256 floats) so small tensors span 2-3 segments, and every kernel that meets the big table
 * (embedding, its gradient, the tied lm_head matmul in all directions, token log-probs) runs
 * against the CPU reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatmulVariant, WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import {
  checkAgainstCpu,
  f32,
  i32,
  LOOSE,
  makeGpuBackend,
  Rng,
  randn,
  TIGHT,
  uniform,
  upload,
} from './webgpu-helpers.ts';

const SEGMENT_BYTES = 1024;
const backends = new Map<MatmulVariant, WebGPUBackend>();
beforeAll(async () => {
  for (const v of ['register', 'tiled'] as const) {
    backends.set(v, await makeGpuBackend({ maxSegmentBytes: SEGMENT_BYTES, matmul: v }));
  }
});
afterAll(() => {
  for (const b of backends.values()) b.dispose();
});
const gpu = () => backends.get('register') as WebGPUBackend;

const rng = new Rng(23);
const V = 50;
const D = 13;
const table = randn(rng, [V, D]); // 650 floats: 3 segments

describe('split tensors (256-float segments)', () => {
  it('allocates segments and round-trips writes at offsets across segment boundaries', async () => {
    const be = gpu();
    expect(be.layout.elems).toBe(256);
    const t = be.alloc(650, 'f32');
    const data = rng.normals(400);
    be.write(t, data, 200);
    const back = (await be.read(t)) as Float32Array;
    expect(Array.from(back.subarray(0, 200)).every((x) => x === 0)).toBe(true);
    expect(Array.from(back.subarray(200, 600))).toEqual(Array.from(data));
    be.free(t);
  });

  it('embedding from a split table and its gradient into a split output', async () => {
    const ids = i32([3, 6], [49, 0, 20, 49, 33, 19, 20, 7, 49, 1, 2, 3, 40, 41, 42, 0, 25, 26]);
    await checkAgainstCpu(gpu(), { op: 'embedding', attrs: {}, inputs: [table, ids], out: [3, 6, D] }, TIGHT);
    await checkAgainstCpu(
      gpu(),
      { op: 'embedding_grad', attrs: { vocab: V }, inputs: [ids, randn(rng, [3, 6, D])], out: [V, D] },
      LOOSE,
    );
  });

  for (const variant of ['register', 'tiled'] as const) {
    it(`tied lm_head matmuls against the split table (${variant})`, async () => {
      const be = backends.get(variant) as WebGPUBackend;
      const h = randn(rng, [7, D]);
      const dlogits = randn(rng, [7, V]); // 350 floats: 2 segments
      const tol = { rtol: 1e-4, atol: 1e-4 };
      // logits = h @ table^T; dh = dlogits @ table; dtable = dlogits^T @ h
      await checkAgainstCpu(
        be,
        { op: 'matmul', attrs: { transA: false, transB: true }, inputs: [h, table], out: [7, V] },
        tol,
        'logits',
      );
      await checkAgainstCpu(
        be,
        { op: 'matmul', attrs: { transA: false, transB: false }, inputs: [dlogits, table], out: [7, D] },
        tol,
        'dh',
      );
      await checkAgainstCpu(
        be,
        { op: 'matmul', attrs: { transA: true, transB: false }, inputs: [dlogits, h], out: [V, D] },
        tol,
        'dtable',
      );
    });
  }

  it('token_logprobs and its gradient over split logits', async () => {
    const logits = randn(rng, [7, 90], 3); // 630 floats
    const targets = i32([7], [89, 0, -1, 45, 3, 88, 12]);
    await checkAgainstCpu(gpu(), { op: 'token_logprobs', attrs: {}, inputs: [logits, targets], out: [7] }, LOOSE);
    const g = f32([7], rng.normals(7));
    await checkAgainstCpu(
      gpu(),
      { op: 'token_logprobs_grad', attrs: {}, inputs: [logits, targets, g], out: [7, 90] },
      LOOSE,
    );
  });

  it('elementwise ops, in place and broadcast, chunked by segment', async () => {
    const a = randn(rng, [V, D]);
    await checkAgainstCpu(gpu(), { op: 'add', attrs: {}, inputs: [a, table], out: [V, D], inPlace: 0 }, TIGHT);
    await checkAgainstCpu(gpu(), { op: 'mul', attrs: {}, inputs: [a, randn(rng, [D])], out: [V, D] }, TIGHT);
    await checkAgainstCpu(gpu(), { op: 'unary', attrs: { fn: 'gelu_tanh' }, inputs: [a], out: [V, D] }, LOOSE);
    await checkAgainstCpu(
      gpu(),
      { op: 'broadcast_to', attrs: { shape: [V, D] }, inputs: [randn(rng, [D])], out: [V, D] },
      TIGHT,
    );
  });

  it('adamw on a split param', async () => {
    const hyper = f32([8], Float32Array.from([1e-3, 0.9, 0.95, 1e-8, 0.01, 0.19, 0.0975, 1]));
    await checkAgainstCpu(
      gpu(),
      {
        op: 'adamw',
        attrs: {},
        inputs: [
          table,
          randn(rng, [V, D]),
          randn(rng, [V, D], 0.1),
          uniform(rng, [V, D], 0, 0.1),
          hyper,
          f32([1], Float32Array.of(9)),
        ],
        out: [V, D],
        inPlace: 0,
        readInputs: [2, 3],
      },
      TIGHT,
    );
  });

  it('reductions, norms, softmax and permute over split inputs', async () => {
    const x = randn(rng, [V, D]);
    await checkAgainstCpu(gpu(), { op: 'sumsq', attrs: {}, inputs: [x], out: [1] }, LOOSE);
    await checkAgainstCpu(gpu(), { op: 'sum_leading', attrs: { keep: 1 }, inputs: [x], out: [D] }, LOOSE);
    await checkAgainstCpu(
      gpu(),
      { op: 'layernorm', attrs: { eps: 1e-5 }, inputs: [x, randn(rng, [D]), randn(rng, [D])], out: [V, D] },
      LOOSE,
    );
    await checkAgainstCpu(gpu(), { op: 'permute', attrs: { perm: [1, 0] }, inputs: [x], out: [D, V] }, TIGHT);
    const mask = f32([1, 13], new Float32Array(13).fill(1));
    await checkAgainstCpu(
      gpu(),
      { op: 'softmax_causal', attrs: { scale: 1 }, inputs: [randn(rng, [1, 2, 13, 13]), mask], out: [1, 2, 13, 13] },
      LOOSE,
    );
  });

  it('refuses, with the numbers, a launch that needs more bindings than the device allows', async () => {
    const tiny = await makeGpuBackend({ maxSegmentBytes: 256 });
    try {
      const a = upload(tiny, randn(rng, [V, D]));
      const b = upload(tiny, randn(rng, [D, V]));
      const out = tiny.alloc(V * V, 'f32');
      expect(() =>
        tiny.compile([
          {
            op: 'matmul',
            attrs: { transA: false, transB: false },
            inputs: [a, b],
            output: { tensor: out, shape: [V, V], dtype: 'f32' },
          },
        ]),
      ).toThrow(/needs \d+ storage bindings .* the device allows \d+/);
    } finally {
      tiny.dispose();
    }
  });
});
