/**
 * CPU kernels against naive references written straight from ops.ts (loops in float64), on odd
 * shapes. Gradients are covered by engine-autodiff.test.ts; here the forward semantics (the nn ops:
 * engine-cpu-nn.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Launch } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph } from '../../src/engine/graph.ts';
import { unaryFn } from '../../src/engine/ops/elementwise/cpu.ts';
import { numel } from '../../src/engine/ops.ts';
import { Rng } from '../../src/engine/random.ts';
import { maxAbsDiff, randn, runGraph as run } from './engine-helpers.ts';

const rng = new Rng(42);

function naiveMatmul(
  a: Float32Array,
  b: Float32Array,
  batch: number,
  M: number,
  N: number,
  K: number,
  tA: boolean,
  tB: boolean,
  sharedB: boolean,
) {
  const out = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = tA ? a[z * M * K + k * M + i] : a[z * M * K + i * K + k];
          const bo = sharedB ? 0 : z * K * N;
          const bv = tB ? b[bo + j * K + k] : b[bo + k * N + j];
          s += av * bv;
        }
        out[(z * M + i) * N + j] = s;
      }
  return out;
}

/** One matmul launch on a given backend. */
async function runMatmul(
  be: CpuBackend,
  a: Float32Array,
  b: Float32Array,
  aS: number[],
  bS: number[],
  tA: boolean,
  tB: boolean,
) {
  const g = new Graph();
  const out = g.matmul(g.input('a', aS), g.input('b', bS), tA, tB);
  const ta = be.alloc(a.length, 'f32');
  const tb = be.alloc(b.length, 'f32');
  const to = be.alloc(numel(out.shape), 'f32');
  be.write(ta, a);
  be.write(tb, b);
  be.compile([
    {
      op: 'matmul',
      attrs: { transA: tA, transB: tB },
      inputs: [
        { tensor: ta, shape: aS, dtype: 'f32' },
        { tensor: tb, shape: bS, dtype: 'f32' },
      ],
      output: { tensor: to, shape: out.shape, dtype: 'f32' },
    },
  ]).run();
  return (await be.read(to)) as Float32Array;
}

describe('matmul', () => {
  const kernels = [new CpuBackend(), new CpuBackend({ matmul: 'js' })];
  it('uses the WebAssembly SIMD kernel by default in Node, JS on request', () => {
    expect(kernels.map((k) => k.matmulKernel)).toEqual(['wasm-simd', 'js']);
  });
  // Sizes straddle both kernels' register tiles (4x2 JS, 4x8 SIMD) and the JS 64-column block.
  const sizes = [
    [1, 1, 1],
    [7, 9, 13],
    [70, 131, 33],
  ];
  for (const be of kernels) {
    for (const [M, N, K] of sizes) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          it(`${be.matmulKernel} ${M}x${N}x${K} transA=${tA} transB=${tB}, 2-D and batched [3]`, async () => {
            for (const batch of [0, 3]) {
              const pre = batch ? [batch] : [];
              const aS = [...pre, ...(tA ? [K, M] : [M, K])];
              const bS = [...pre, ...(tB ? [N, K] : [K, N])];
              const a = randn(rng, aS);
              const b = randn(rng, bS);
              const out = await runMatmul(be, a, b, aS, bS, tA, tB);
              expect(maxAbsDiff(out, naiveMatmul(a, b, batch || 1, M, N, K, tA, tB, false))).toBeLessThan(1e-5 * K);
            }
          });
        }
        it(`${be.matmulKernel} ${M}x${N}x${K} batched a [2,3] with shared 2-D b, transB=${tA}`, async () => {
          const aS = [2, 3, M, K];
          const bS = tA ? [N, K] : [K, N];
          const a = randn(rng, aS);
          const b = randn(rng, bS);
          const out = await runMatmul(be, a, b, aS, bS, false, tA);
          expect(maxAbsDiff(out, naiveMatmul(a, b, 6, M, N, K, false, tA, true))).toBeLessThan(1e-5 * K);
        });
      }
    }
  }
});

describe('elementwise and reductions', () => {
  it('add/sub/mul broadcast a trailing suffix', async () => {
    const a = randn(rng, [3, 5, 7]);
    const b = randn(rng, [5, 7]);
    for (const op of ['add', 'sub', 'mul'] as const) {
      const out = await run(
        (g, [x, y]) => g[op](x, y),
        [a, b],
        [
          [3, 5, 7],
          [5, 7],
        ],
      );
      const ref = a.map((v, i) => (op === 'add' ? v + b[i % 35] : op === 'sub' ? v - b[i % 35] : v * b[i % 35]));
      expect(maxAbsDiff(out, ref)).toBe(0);
    }
  });

  it('unary functions match their definitions, and log_sigmoid is stable', async () => {
    const x = Float32Array.of(-60, -3.5, -1, -0.25, 0.3, 1, 2.5, 60);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const defs: Record<string, (v: number) => number> = {
      neg: (v) => -v,
      exp: Math.exp,
      square: (v) => v * v,
      sigmoid: sig,
      relu: (v) => Math.max(v, 0),
      silu: (v) => v * sig(v),
      gelu_tanh: (v) => 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v ** 3))),
    };
    for (const [fn, f] of Object.entries(defs)) {
      const out = await run((g, [a]) => g.unary(a, fn as 'exp'), [x], [[8]]);
      for (let i = 0; i < x.length; i++) expect(out[i]).toBeCloseTo(Math.fround(f(x[i])), 5);
    }
    const ls = await run((g, [a]) => g.unary(a, 'log_sigmoid'), [x], [[8]]);
    expect(ls[0]).toBeCloseTo(-60, 5); // log(sigmoid(-60)) ~ -60; the naive formula gives -Infinity-ish round-off
    expect(ls[7]).toBeCloseTo(-Math.exp(-60), 10);
    expect(ls[3]).toBeCloseTo(Math.log(sig(-0.25)), 6);
    const lg = await run((g, [a]) => g.unary(a, 'log'), [Float32Array.of(0.5, 3)], [[2]]);
    expect(lg[1]).toBeCloseTo(Math.log(3), 6);
    expect(unaryFn('relu', 0)).toBe(0);
  });

  it('sum_all, sumsq, sum_leading, broadcast_to', async () => {
    const a = randn(rng, [3, 5, 7]);
    let s = 0;
    let q = 0;
    for (const v of a) {
      s += v;
      q += v * v;
    }
    expect((await run((g, [x]) => g.sumAll(x), [a], [[3, 5, 7]]))[0]).toBeCloseTo(s, 4);
    expect((await run((g, [x]) => g.sumsq(x), [a], [[3, 5, 7]]))[0]).toBeCloseTo(q, 4);
    const sl = await run((g, [x]) => g.sumLeading(x, 1), [a], [[3, 5, 7]]);
    const ref = new Float64Array(7);
    a.forEach((v, i) => {
      ref[i % 7] += v;
    });
    expect(maxAbsDiff(sl, ref)).toBeLessThan(1e-5);
    const bc = await run((g, [x]) => g.broadcastTo(x, [4, 7]), [Float32Array.from(ref)], [[7]]);
    expect(bc.length).toBe(28);
    expect(bc[21 + 3]).toBeCloseTo(ref[3], 5);
  });

  it('masked_row_sum and expand_rows', async () => {
    const x = randn(rng, [3, 4]);
    const m = Float32Array.of(1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0);
    const out = await run(
      (g, [a, b]) => g.maskedRowSum(a, b),
      [x, m],
      [
        [3, 4],
        [3, 4],
      ],
    );
    expect(out[0]).toBeCloseTo(x[0] + x[1], 6);
    expect(out[1]).toBeCloseTo(x[4] + x[6], 6);
    expect(out[2]).toBe(0);
    const ex = await run((g, [a, b]) => g.expandRows(a, b), [Float32Array.of(2, 3, 4), m], [[3], [3, 4]]);
    expect([...ex]).toEqual([2, 2, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0]);
  });

  it('elementwise kernels may write in place over input 0', () => {
    const be = new CpuBackend();
    const a = be.alloc(6, 'f32');
    const b = be.alloc(3, 'f32');
    be.write(a, Float32Array.of(1, 2, 3, 4, 5, 6));
    be.write(b, Float32Array.of(10, 20, 30));
    const va = { tensor: a, shape: [2, 3], dtype: 'f32' as const };
    const launches: Launch[] = [
      { op: 'add', attrs: {}, inputs: [va, { tensor: b, shape: [3], dtype: 'f32' }], output: va },
      { op: 'scale', attrs: { s: 2 }, inputs: [va], output: va },
      { op: 'unary', attrs: { fn: 'neg' }, inputs: [va], output: va },
    ];
    be.compile(launches).run();
    return be.read(a).then((r) => expect([...r]).toEqual([-22, -44, -66, -28, -50, -72]));
  });
});

describe('layout ops', () => {
  it('permute matches index arithmetic (rank 2, 3, 4)', async () => {
    const a = randn(rng, [2, 3, 4, 5]);
    const out = await run((g, [x]) => g.permute(x, [2, 0, 3, 1]), [a], [[2, 3, 4, 5]]);
    // out[i, j, k, l] = a[j, l, i, k], out shape [4, 2, 5, 3].
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 2; j++)
        for (let k = 0; k < 5; k++)
          for (let l = 0; l < 3; l++) expect(out[((i * 2 + j) * 5 + k) * 3 + l]).toBe(a[((j * 3 + l) * 4 + i) * 5 + k]);
    const m = randn(rng, [3, 7]);
    const t = await run((g, [x]) => g.permute(x, [1, 0]), [m], [[3, 7]]);
    expect(t[2 * 3 + 1]).toBe(m[1 * 7 + 2]);
    const c = randn(rng, [2, 3, 4]);
    const p3 = await run((g, [x]) => g.permute(x, [1, 2, 0]), [c], [[2, 3, 4]]);
    expect(p3[(2 * 4 + 3) * 2 + 1]).toBe(c[(1 * 3 + 2) * 4 + 3]);
  });

  it('slice_last and pad_last', async () => {
    const a = Float32Array.from({ length: 12 }, (_, i) => i);
    expect([...(await run((g, [x]) => g.sliceLast(x, 1, 2), [a], [[3, 4]]))]).toEqual([1, 2, 5, 6, 9, 10]);
    const p = await run((g, [x]) => g.padLast(x, 1, 4), [Float32Array.of(1, 2, 3, 4)], [[2, 2]]);
    expect([...p]).toEqual([0, 1, 2, 0, 0, 3, 4, 0]);
  });

  it('repeat_heads and sum_heads', async () => {
    const a = Float32Array.from({ length: 2 * 2 * 1 * 2 }, (_, i) => i + 1); // [B=2, H=2, T=1, D=2]
    const r = await run((g, [x]) => g.repeatHeads(x, 2), [a], [[2, 2, 1, 2]]);
    expect([...r]).toEqual([1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 7, 8, 7, 8]);
    const s = await run((g, [x]) => g.sumHeads(x, 2), [r], [[2, 4, 1, 2]]);
    expect([...s]).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
  });
});
