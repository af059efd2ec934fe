/**
 * The fused attention range kernels (backends/cpu/threads/ranges/attention.ts), as registered for
 * each flash_attention op on a backend with the SIMD gemm: on odd shapes (T not a multiple of the
 * 64-row block, fewer queries than keys, grouped-query heads, padding that masks whole key blocks
 * (which the kernels skip), a fully masked row), run on the calling thread alone and split over 2
 * and 3 threads of a pool (operands in its shared memory), they give the same bits as the reference
 * loops of ops/attention/cpu.ts through the same SIMD gemm. Every pool run is checked to have
 * really gone through the threads. And a whole DPO step of a model with fused attention trains to
 * the same bits on 2 threads as on 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Launch } from '../../src/engine/backend.ts';
import type { KernelContext } from '../../src/engine/backends/cpu/kernel-kit.ts';
import type { ArrayView, F32View } from '../../src/engine/backends/cpu/tensor.ts';
import { createGemmPool, type GemmPool } from '../../src/engine/backends/cpu/threads/gemm-pool.ts';
import { sharedGemmPool } from '../../src/engine/backends/cpu/threads/shared-pool.ts';
import { createWasmGemm } from '../../src/engine/backends/cpu/wasm-gemm.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import {
  attentionCpu,
  attentionGemms,
  flashAttention,
  flashAttentionGradKV,
  flashAttentionGradQ,
  flashAttentionStats,
} from '../../src/engine/ops/attention/cpu.ts';
import { type AttentionDims, type AttentionOp, attentionDims } from '../../src/engine/ops/attention/index.ts';
import { numel } from '../../src/engine/ops/shape.ts';
import type { Shape } from '../../src/engine/ops.ts';
import { Rng } from '../../src/engine/random.ts';
import { type DpoRun, trainOnThreads } from './cpu-threads-dpo.ts';
import { must } from './engine-helpers.ts';

const wasm = must(createWasmGemm(), 'WebAssembly SIMD in this Node');
const pools = new Map<number, GemmPool>();

beforeAll(async () => {
  for (const threads of [2, 3]) {
    // minRangeWork 0: every kernel goes through the threads, however small.
    const pool = createGemmPool({ threads, minRangeWork: 0 });
    if (typeof pool === 'string') throw new Error(`threads unavailable in this Node: ${pool}`);
    pool.lag.enabled = false;
    await pool.whenReady();
    pools.set(threads, pool);
  }
});

afterAll(async () => {
  await Promise.all([...pools.values()].map((p) => p.dispose()));
});

type Host = { data: Float32Array; shape: Shape };

/** Same bits, NaNs included. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Runs op's registered kernel on the calling thread (no pool) or on `pool`, operands in its memory. */
function runOp(op: AttentionOp, scale: number, inputs: Host[], outShape: Shape, pool?: GemmPool): Float32Array {
  const place = (h: Host): ArrayView => {
    if (!pool) return { data: h.data.slice(), shape: h.shape };
    const t = must(pool.allocTensor(h.data.length, 'f32'), 'room in the pool memory');
    t.data.set(h.data);
    return { data: t.data, shape: h.shape, shared: { pool, off: t.off } };
  };
  const views = inputs.map(place);
  const out = place({ data: new Float32Array(numel(outShape)).fill(Number.NaN), shape: outShape });
  const ctx: KernelContext = { gemmFor: () => wasm, simd: true, threads: pool };
  const launch = { op, attrs: { scale } } as unknown as Launch<AttentionOp>;
  attentionCpu[op](launch as never, views, out, ctx)();
  const result = out.data.slice() as Float32Array;
  if (pool) for (const v of [...views, out]) pool.freeTensor({ data: v.data, off: v.shared?.off as number });
  return result;
}

/** The op alone and on each pool equals `want`, bit for bit. */
function expectSame(op: AttentionOp, scale: number, inputs: Host[], outShape: Shape, want: Float32Array): void {
  expect(sameBits(runOp(op, scale, inputs, outShape), want), `${op} on 1 thread`).toBe(true);
  for (const [threads, pool] of pools) {
    const before = pool.stats.rangeJobs;
    const got = runOp(op, scale, inputs, outShape, pool);
    expect(pool.stats.rangeJobs, `${op} ran on the pool`).toBeGreaterThan(before);
    expect(sameBits(got, want), `${op} on ${threads} threads`).toBe(true);
  }
}

interface Case {
  B: number;
  H: number;
  Hkv: number;
  Tq: number;
  Tk: number;
  D: number;
  /** Real tokens per batch row (keys past it are padding); `leadingPad` also masks key 0 of the last row. */
  lengths: number[];
  leadingPad?: boolean;
}

const CASES: [string, Case][] = [
  [
    'T = 150 (2 full blocks and 22 rows), GQA 4/2, D = 7, padding (a key block all masked)',
    { B: 2, H: 4, Hkv: 2, Tq: 150, Tk: 150, D: 7, lengths: [150, 97] },
  ],
  [
    'Tq = 70 against Tk = 135 (a shift of 65, off the block grid), GQA 4/2, D = 5, a masked key block',
    { B: 2, H: 4, Hkv: 2, Tq: 70, Tk: 135, D: 5, lengths: [120, 135] },
  ],
  [
    'T = 77, one kv head for 3 query heads, D = 16, a fully masked first query',
    { B: 2, H: 3, Hkv: 1, Tq: 77, Tk: 77, D: 16, lengths: [77, 60], leadingPad: true },
  ],
  [
    'T = 650, D = 128: more key blocks (11) than a slot caches packed (10)',
    { B: 1, H: 2, Hkv: 1, Tq: 650, Tk: 650, D: 128, lengths: [600] },
  ],
];

/** Reference outputs of every op (the loops of cpu.ts through the SIMD gemm), their inputs made on the way. */
function references(c: Case, rng: Rng) {
  const host = (shape: number[], std = 1): Host => ({ data: rng.normals(numel(shape), std), shape });
  const qShape = [c.B, c.H, c.Tq, c.D];
  const kShape = [c.B, c.Hkv, c.Tk, c.D];
  const [q, k, v, dOut] = [host(qShape, 1.5), host(kShape, 1.5), host(kShape), host(qShape)];
  const maskData = Float32Array.from({ length: c.B * c.Tk }, (_, i) => {
    const [b, j] = [Math.floor(i / c.Tk), i % c.Tk];
    return j < c.lengths[b] && !(c.leadingPad && b === c.B - 1 && j === 0) ? 1 : 0;
  });
  const mask: Host = { data: maskData, shape: [c.B, c.Tk] };
  const d: AttentionDims = attentionDims('test', q, k, mask);
  const gm = attentionGemms(c.D, { gemmFor: () => wasm });
  const out = (shape: number[]): F32View => ({ data: new Float32Array(numel(shape)).fill(Number.NaN), shape });
  const scale = 1 / Math.sqrt(c.D) + 0.05;
  const y = out(qShape);
  flashAttention(d, scale, gm, [q, k, v, mask], y);
  const stats = out([c.B, c.H, c.Tq, 2]);
  flashAttentionStats(d, scale, gm, [q, k, mask, y, dOut], stats);
  const dq = out(qShape);
  flashAttentionGradQ(d, scale, gm, [q, k, v, mask, dOut, stats], dq);
  const dk = out(kShape);
  flashAttentionGradKV(d, scale, gm, 'k', [q, k, v, mask, dOut, stats], dk);
  const dv = out(kShape);
  flashAttentionGradKV(d, scale, gm, 'v', [q, k, null, mask, dOut, stats], dv);
  return { scale, q, k, v, mask, dOut, y, stats, dq, dk, dv, qShape, kShape };
}

describe('fused attention range kernels give the reference bits on 1, 2 and 3 threads', () => {
  for (const [name, c] of CASES) {
    it(name, () => {
      const r = references(c, new Rng(11));
      for (const x of [r.y, r.dq, r.dk, r.dv]) expect(x.data.some((e) => Math.abs(e) > 0.05)).toBe(true);
      if (c.leadingPad) {
        // The masked query's output row and statistics: 0 and the empty-row logsumexp.
        const row = (c.B - 1) * c.H * c.Tq;
        expect(Array.from(r.y.data.subarray(row * c.D, (row + 1) * c.D))).toEqual(new Array(c.D).fill(0));
      }
      const { scale, q, k, v, mask, dOut, qShape, kShape } = r;
      const y = { data: r.y.data, shape: qShape };
      const stats = { data: r.stats.data, shape: r.stats.shape };
      expectSame('flash_attention', scale, [q, k, v, mask], qShape, r.y.data);
      expectSame('flash_attention_stats', scale, [q, k, mask, y, dOut], stats.shape, r.stats.data);
      expectSame('flash_attention_grad_q', scale, [q, k, v, mask, dOut, stats], qShape, r.dq.data);
      expectSame('flash_attention_grad_k', scale, [q, k, v, mask, dOut, stats], kShape, r.dk.data);
      expectSame('flash_attention_grad_v', scale, [q, k, mask, dOut, stats], kShape, r.dv.data);
    });
  }
});

describe('a DPO step of a model with fused attention', () => {
  it('gives on 2 threads the losses and trained weights of 1 thread, bit for bit', async () => {
    const T = 80;
    const run: DpoRun = {
      config: parseConfig({ model_type: 'gpt2', vocab_size: 128, n_positions: T, n_embd: 64, n_layer: 2, n_head: 4 }),
      seed: 5,
      modelName: 'fused',
      pairs: 2,
      T,
      promptLen: 10,
      refLogp: -300,
      steps: 2,
      attention: 'fused',
    };
    const one = await trainOnThreads(1, run);
    const pool = sharedGemmPool(2);
    if (typeof pool === 'string') throw new Error(`no threads in this Node: ${pool}`);
    // The lag guard could send jobs to one thread on a busy machine; here they must use both.
    pool.lag.enabled = false;
    const before = pool.stats.rangeJobs;
    const two = await trainOnThreads(2, run);
    pool.lag.enabled = true;
    expect(two.threads).toBe(2);
    expect(pool.stats.rangeJobs).toBeGreaterThan(before);
    expect(two.losses).toEqual(one.losses);
    expect(one.losses[1]).not.toEqual(one.losses[0]);
    for (let i = 0; i < one.weights.length; i++)
      expect(sameBits(two.weights[i], one.weights[i]), `weight ${i}`).toBe(true);
  });
});
