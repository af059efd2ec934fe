/**
 * The CPU backend's range kernels (backends/cpu/threads/ranges), as registered for each op: on
 * odd shapes, run on the calling thread alone and split over 2 and 3 threads of a pool (operands in
 * its shared memory), they give the same bits as the plain reference loops of ops/<family>/cpu.ts.
 * Every pool run is checked to have really gone through the threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Launch } from '../../src/engine/backend.ts';
import { jsGemm } from '../../src/engine/backends/cpu/gemm.ts';
import type { KernelContext } from '../../src/engine/backends/cpu/kernel-kit.ts';
import type { ArrayView } from '../../src/engine/backends/cpu/tensor.ts';
import { createGemmPool, type GemmPool } from '../../src/engine/backends/cpu/threads/gemm-pool.ts';
import { adamw } from '../../src/engine/ops/adamw/cpu.ts';
import { CPU_KERNELS } from '../../src/engine/ops/cpu-kernels.ts';
import { binary, scale, unary, unaryGrad } from '../../src/engine/ops/elementwise/cpu.ts';
import { UNARY_DOMAIN, UNARY_FNS } from '../../src/engine/ops/elementwise/index.ts';
import { padLast, permute, sliceLast } from '../../src/engine/ops/layout/cpu.ts';
import { tokenLogprobs, tokenLogprobsGrad } from '../../src/engine/ops/logprobs/cpu.ts';
import {
  layernorm,
  layernormGradW,
  layernormGradX,
  rmsnorm,
  rmsnormGradW,
  rmsnormGradX,
} from '../../src/engine/ops/norm/cpu.ts';
import { sumLeading } from '../../src/engine/ops/reduce/cpu.ts';
import { numel } from '../../src/engine/ops/shape.ts';
import { softmaxCausal, softmaxCausalGrad } from '../../src/engine/ops/softmax/cpu.ts';
import type { KernelOp } from '../../src/engine/ops.ts';
import { Rng } from '../../src/engine/random.ts';

const rng = new Rng(77);

type Host = { data: Float32Array | Int32Array; shape: number[] };

const f = (shape: number[], gen: () => number = () => rng.normal()): Host => ({
  data: Float32Array.from({ length: numel(shape) }, gen),
  shape,
});

/** Same bits, NaNs included. */
function sameBits(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const single: KernelContext = { gemmFor: (d, tA, tB) => jsGemm(d, tA, tB) };
const pools = new Map<number, GemmPool>();

beforeAll(async () => {
  for (const threads of [2, 3]) {
    // minRangeWork 0: every kernel goes through the threads, however small.
    const pool = createGemmPool({ threads, minRangeWork: 0, minFlops: 0 });
    if (typeof pool === 'string') throw new Error(`threads unavailable in this Node: ${pool}`);
    // The lag guard could send a job to one thread on a busy machine; here every job must use them.
    pool.lag.enabled = false;
    await pool.whenReady();
    pools.set(threads, pool);
  }
});

afterAll(async () => {
  await Promise.all([...pools.values()].map((p) => p.dispose()));
});

/**
 * Runs op's registered kernel with `inputs`; `aliasOut` makes the output input 0's own tensor
 * (in-place ops). On a pool, every operand is copied into its shared memory first. Returns the
 * output and every input after the run (AdamW updates its inputs in place).
 */
function runOp(
  op: KernelOp,
  attrs: object,
  inputs: Host[],
  outShape: number[],
  pool?: GemmPool,
  aliasOut = false,
): (Float32Array | Int32Array)[] {
  const place = (h: Host): ArrayView => {
    if (!pool) return { data: h.data.slice(), shape: h.shape };
    const t = pool.allocTensor(h.data.length, h.data instanceof Int32Array ? 'i32' : 'f32');
    if (!t) throw new Error('the pool memory is full');
    t.data.set(h.data);
    return { data: t.data, shape: h.shape, shared: { pool, off: t.off } };
  };
  const views = inputs.map(place);
  const out = aliasOut ? { ...views[0], shape: outShape } : place(f(outShape, () => Number.NaN));
  const ctx: KernelContext = pool ? { gemmFor: single.gemmFor, threads: pool } : single;
  const kernel = CPU_KERNELS[op] as unknown as (
    l: Launch,
    i: ArrayView[],
    o: ArrayView,
    c: KernelContext,
  ) => () => void;
  kernel({ attrs } as unknown as Launch, views, out, ctx)();
  const result = [out.data.slice(), ...views.map((v) => v.data.slice())];
  if (pool)
    for (const v of [...views, ...(aliasOut ? [] : [out])])
      pool.freeTensor({ data: v.data, off: v.shared?.off as number });
  return result;
}

/** The op on one thread and on each pool equals `reference` (the output, then inputs where listed). */
function expectSame(
  op: KernelOp,
  attrs: object,
  inputs: Host[],
  outShape: number[],
  reference: (Float32Array | Int32Array)[],
  aliasOut = false,
): void {
  const one = runOp(op, attrs, inputs, outShape, undefined, aliasOut);
  for (let i = 0; i < reference.length; i++)
    expect(sameBits(one[i], reference[i]), `${op} 1 thread, array ${i}`).toBe(true);
  for (const [threads, pool] of pools) {
    const before = pool.stats.rangeJobs;
    const many = runOp(op, attrs, inputs, outShape, pool, aliasOut);
    expect(pool.stats.rangeJobs, `${op} ran on the pool`).toBeGreaterThan(before);
    for (let i = 0; i < reference.length; i++)
      expect(sameBits(many[i], reference[i]), `${op} ${threads} threads, array ${i}`).toBe(true);
  }
}

/** Runs a reference loop on copies; returns its output (and, with `keep`, its inputs after it). */
function ref(inputs: Host[], outShape: number[], run: (views: ArrayView[], out: ArrayView) => void, keep = false) {
  const views = inputs.map((h) => ({ data: h.data.slice(), shape: h.shape }));
  const out = { data: new Float32Array(numel(outShape)).fill(Number.NaN), shape: outShape };
  run(views, out);
  return keep ? [out.data, ...views.map((v) => v.data)] : [out.data];
}

type F = { data: Float32Array; shape: number[] };
type I = { data: Int32Array; shape: number[] };

describe('elementwise', () => {
  const shape = [37, 29];
  for (const fn of UNARY_FNS) {
    const domain = UNARY_DOMAIN[fn];
    const gen = () => {
      const x = rng.normal() * 3;
      return domain === 'positive' ? Math.abs(x) + 1e-3 : domain === 'negative' ? -Math.abs(x) - 1e-3 : x;
    };
    it(`unary ${fn} and its gradient`, () => {
      const x = f(shape, gen);
      const g = f(shape);
      expectSame(
        'unary',
        { fn },
        [x],
        shape,
        ref([x], shape, ([a], o) => unary(fn, a as F, o as F)),
      );
      expectSame(
        'unary_grad',
        { fn },
        [x, g],
        shape,
        ref([x, g], shape, ([a, b], o) => unaryGrad(fn, a as F, b as F, o as F)),
      );
    });
  }
  for (const op of ['add', 'sub', 'mul'] as const) {
    it(`${op}: same shape, a trailing-dims broadcast, and in place`, () => {
      const a = f([13, 7, 19]);
      for (const bShape of [[13, 7, 19], [7, 19], [19], [1]]) {
        const b = f(bShape);
        const want = ref([a, b], a.shape, ([x, y], o) => binary(op, x as F, y as F, o as F));
        expectSame(op, {}, [a, b], a.shape, want);
        expectSame(op, {}, [a, b], a.shape, want, true);
      }
    });
  }
  it('scale', () => {
    const a = f([1001]);
    expectSame(
      'scale',
      { s: -0.37 },
      [a],
      a.shape,
      ref([a], a.shape, ([x], o) => scale(x as F, -0.37, o as F)),
    );
  });
});

describe('rows', () => {
  it('causal softmax (Tq < Tk, masked keys, a fully masked row) and its gradient', () => {
    const [B, H, Tq, Tk] = [3, 5, 7, 11];
    const s = f([B, H, Tq, Tk]);
    const mask = f([B, Tk], () => (rng.next() < 0.8 ? 1 : 0));
    mask.data.fill(0, 2 * Tk, 3 * Tk);
    const want = ref([s, mask], s.shape, ([x, m], o) => softmaxCausal(x as F, m as F, 0.41, o as F));
    expectSame('softmax_causal', { scale: 0.41 }, [s, mask], s.shape, want);
    const p = { data: want[0] as Float32Array, shape: s.shape };
    const g = f(s.shape);
    const wantGrad = ref([p, g], s.shape, ([x, y], o) => softmaxCausalGrad(x as F, y as F, 0.41, o as F));
    expectSame('softmax_causal_grad', { scale: 0.41 }, [p, g], s.shape, wantGrad);
  });
  it('token log-probs and their gradient, unscored rows included; a bad target is refused', () => {
    const [N, V] = [37, 101];
    const x = f([N, V], () => rng.normal() * 4);
    const t: Host = { data: Int32Array.from({ length: N }, (_, n) => (n % 5 === 0 ? -1 : rng.int(V))), shape: [N] };
    const g = f([N]);
    expectSame(
      'token_logprobs',
      {},
      [x, t],
      [N],
      ref([x, t], [N], ([a, b], o) => tokenLogprobs(a as F, b as I, o as F)),
    );
    const want = ref([x, t, g], [N, V], ([a, b, c], o) => tokenLogprobsGrad(a as F, b as I, c as F, o as F));
    expectSame('token_logprobs_grad', {}, [x, t, g], [N, V], want);
    const bad: Host = { data: Int32Array.from(t.data, (v, n) => (n === 3 ? V : v)), shape: [N] };
    for (const pool of [undefined, ...pools.values()])
      expect(() => runOp('token_logprobs', {}, [x, bad], [N], pool)).toThrow(/outside the table's 101 rows/);
  });
  it('layernorm and rmsnorm, forward and both gradients', () => {
    const [R, D] = [41, 33];
    const x = f([R, D], () => rng.normal() * 2 + 0.5);
    const w = f([D]);
    const b = f([D]);
    const g = f([R, D]);
    const eps = 1e-5;
    const run = (op: KernelOp, ins: Host[], out: number[], loop: (v: F[], o: F) => void) =>
      expectSame(
        op,
        { eps },
        ins,
        out,
        ref(ins, out, (v, o) => loop(v as F[], o as F)),
      );
    run('layernorm', [x, w, b], [R, D], ([a, c, d], o) => layernorm(a, c, d, eps, o));
    run('layernorm_grad_x', [x, w, g], [R, D], ([a, c, d], o) => layernormGradX(a, c, d, eps, o));
    run('layernorm_grad_w', [x, g], [D], ([a, c], o) => layernormGradW(a, c, eps, o));
    run('rmsnorm', [x, w], [R, D], ([a, c], o) => rmsnorm(a, c, eps, o));
    run('rmsnorm_grad_x', [x, w, g], [R, D], ([a, c, d], o) => rmsnormGradX(a, c, d, eps, o));
    run('rmsnorm_grad_w', [x, g], [D], ([a, c], o) => rmsnormGradW(a, c, eps, o));
  });
});

describe('layout, reductions, AdamW', () => {
  const cases: [number[], number[]][] = [
    [
      [3, 5, 7, 9],
      [0, 2, 1, 3],
    ],
    [
      [3, 5, 7, 9],
      [0, 1, 3, 2],
    ],
    [
      [3, 5, 7, 9],
      [2, 0, 3, 1],
    ],
    [
      [5, 7, 9],
      [1, 0, 2],
    ],
    [
      [13, 17],
      [1, 0],
    ],
  ];
  for (const [shape, perm] of cases) {
    it(`permute ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`, () => {
      const a = f(shape);
      const outShape = perm.map((p) => shape[p]);
      expectSame(
        'permute',
        { perm },
        [a],
        outShape,
        ref([a], outShape, ([x], o) => permute(x, perm, o)),
      );
    });
  }
  it('slice_last and pad_last', () => {
    const a = f([37, 23]);
    const sliced = ref([a], [37, 11], ([x], o) => sliceLast(x as F, 5, 11, o as F));
    expectSame('slice_last', { start: 5, len: 11 }, [a], [37, 11], sliced);
    const g = f([37, 11]);
    const padded = ref([g], [37, 23], ([x], o) => padLast(x as F, 5, 23, o as F));
    expectSame('pad_last', { start: 5, total: 23 }, [g], [37, 23], padded);
  });
  it('sum_leading over one and two leading dims', () => {
    const a = f([13, 7, 19]);
    for (const out of [[19], [7, 19]])
      expectSame(
        'sum_leading',
        {},
        [a],
        out,
        ref([a], out, ([x], o) => sumLeading(x as F, o as F)),
      );
  });
  it('AdamW updates param and moments in place, with and without clipping', () => {
    const n = 1031;
    for (const [normSq, maxNorm] of [
      [4.0, 1.0],
      [0.25, 1.0],
      [9.0, 0],
    ]) {
      const hyper = f([8]);
      hyper.data.set([1e-3, 0.9, 0.999, 1e-8, 0.01, 1 - 0.9 ** 3, 1 - 0.999 ** 3, maxNorm]);
      const ins = [
        f([n]),
        f([n]),
        f([n], () => rng.normal() * 0.1),
        f([n], () => rng.next() * 0.01),
        hyper,
        f([1], () => normSq),
      ];
      const want = ref(ins, [n], ([p, g, m, v, h, s]) => adamw(p as F, g as F, m as F, v as F, h as F, s as F), true);
      // The output is the param itself: compare the param, m and v after the update.
      expectSame('adamw', {}, ins, [n], [want[1], want[1], want[2], want[3], want[4]], true);
    }
  });
});
