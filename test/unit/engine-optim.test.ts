/**
 * AdamW, clipping and accumulation against a plain float64 re-implementation of
 * torch.optim.AdamW + clip_grad_norm_ (written from torch's _single_tensor_adamw), and LR
 * schedules against hand-computed values.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph, type Node } from '../../src/engine/graph.ts';
import { type AdamWHyper, adamwHyperBuffer } from '../../src/engine/optim/adamw.ts';
import { clipCoefficient } from '../../src/engine/optim/clip.ts';
import { lrAt } from '../../src/engine/optim/schedule.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { TrainState } from '../../src/engine/train-state.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { randn } from './engine-helpers.ts';

const [IN, OUT] = [5, 3];

/** loss = 0.5 * sum((x W + b - y)^2) over N rows. */
function regression(g: Graph, N: number): Node {
  const pred = g.add(g.matmul(g.input('x', [N, IN]), g.param('W', [IN, OUT])), g.param('b', [OUT]));
  return g.scale(g.sumAll(g.unary(g.sub(pred, g.input('y', [N, OUT])), 'square')), 0.5);
}

type Batch = { x: Float32Array; y: Float32Array };

/** Analytic gradients of the regression loss, in float64. */
function refGrads(W: Float64Array, b: Float64Array, { x, y }: Batch): { W: Float64Array; b: Float64Array } {
  const N = x.length / IN;
  const gW = new Float64Array(IN * OUT);
  const gb = new Float64Array(OUT);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < OUT; o++) {
      let p = b[o];
      for (let i = 0; i < IN; i++) p += x[n * IN + i] * W[i * OUT + o];
      const r = p - y[n * OUT + o];
      gb[o] += r;
      for (let i = 0; i < IN; i++) gW[i * OUT + o] += x[n * IN + i] * r;
    }
  return { W: gW, b: gb };
}

/** torch.optim.AdamW (+ clip_grad_norm_ beforehand), one tensor list, float64. */
class TorchAdamW {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;
  constructor(readonly params: Float64Array[]) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }
  /** Returns the total norm before clipping, as clip_grad_norm_ does. */
  step(grads: Float64Array[], h: AdamWHyper): number {
    let sq = 0;
    for (const g of grads) for (const x of g) sq += x * x;
    const total = Math.sqrt(sq);
    const coef = h.maxGradNorm > 0 ? Math.min(1, h.maxGradNorm / (total + 1e-6)) : 1;
    this.t++;
    const bc1 = 1 - h.beta1 ** this.t;
    const bc2 = 1 - h.beta2 ** this.t;
    this.params.forEach((p, k) => {
      for (let i = 0; i < p.length; i++) {
        const g = grads[k][i] * coef;
        p[i] *= 1 - h.lr * h.weightDecay;
        this.m[k][i] = h.beta1 * this.m[k][i] + (1 - h.beta1) * g;
        this.v[k][i] = h.beta2 * this.v[k][i] + (1 - h.beta2) * g * g;
        const denom = Math.sqrt(this.v[k][i]) / Math.sqrt(bc2) + h.eps;
        p[i] -= (h.lr / bc1) * (this.m[k][i] / denom);
      }
    });
    return total;
  }
}

function makeBatch(rng: Rng, N: number): Batch {
  return { x: randn(rng, [N, IN]), y: randn(rng, [N, OUT], 2) };
}

function setup(seed: number) {
  const rng = new Rng(seed);
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  const W0 = randn(rng, [IN, OUT]);
  const b0 = randn(rng, [OUT]);
  store.add('W', [IN, OUT], W0);
  store.add('b', [OUT], b0);
  const ref = new TorchAdamW([Float64Array.from(W0), Float64Array.from(b0)]);
  return { rng, backend, store, ref };
}

function expectClose(actual: Float32Array, expected: Float64Array, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++)
    expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tol * (1 + Math.abs(expected[i])));
}

describe('AdamW step', () => {
  it('matches torch AdamW with weight decay, clipping and a cosine schedule over several steps', async () => {
    const { rng, backend, store, ref } = setup(1);
    const g = new Graph();
    const loss = regression(g, 8);
    const train = compileTrainStep(g, loss, [], backend, store);
    const sched = { schedule: 'cosine' as const, lr: 0.05, warmupSteps: 2, totalSteps: 8 };
    let clipped = 0;
    for (let s = 0; s < 8; s++) {
      const batch = makeBatch(rng, 8);
      const h: AdamWHyper = {
        lr: lrAt(s, sched),
        beta1: 0.9,
        beta2: 0.95,
        eps: 1e-8,
        weightDecay: 0.1,
        maxGradNorm: 5,
      };
      const grads = refGrads(ref.params[0], ref.params[1], batch);
      const refNorm = ref.step([grads.W, grads.b], h);
      if (refNorm > h.maxGradNorm) clipped++;
      const r = await train.step(batch, h);
      expect(r.updated).toBe(true);
      expect(r.gradNorm).toBeCloseTo(refNorm, 3);
      expectClose(await store.read('W'), ref.params[0], 2e-5);
      expectClose(await store.read('b'), ref.params[1], 2e-5);
    }
    expect(clipped).toBeGreaterThan(2); // the clip path was exercised
    expect(train.state.step).toBe(8);
  });

  it('matches torch AdamW without clipping or decay (maxGradNorm 0)', async () => {
    const { rng, backend, store, ref } = setup(2);
    const g = new Graph();
    const train = compileTrainStep(g, regression(g, 4), [], backend, store);
    const h: AdamWHyper = { lr: 0.01, beta1: 0.8, beta2: 0.999, eps: 1e-6, weightDecay: 0, maxGradNorm: 0 };
    for (let s = 0; s < 3; s++) {
      const batch = makeBatch(rng, 4);
      const grads = refGrads(ref.params[0], ref.params[1], batch);
      ref.step([grads.W, grads.b], h);
      await train.step(batch, h);
    }
    expectClose(await store.read('W'), ref.params[0], 2e-5);
  });

  it('accumulates micro-batches of different buckets into one update (shared TrainState)', async () => {
    const { rng, backend, store, ref } = setup(3);
    const gA = new Graph();
    const gB = new Graph();
    const state = new TrainState(backend, store, ['W', 'b']);
    const trainA = compileTrainStep(gA, regression(gA, 3), [], backend, store, { state });
    const trainB = compileTrainStep(gB, regression(gB, 5), [], backend, store, { state });
    const h: AdamWHyper = { lr: 0.02, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.05, maxGradNorm: 3 };
    for (let s = 0; s < 3; s++) {
      const parts = [makeBatch(rng, 3), makeBatch(rng, 5), makeBatch(rng, 3)];
      const sum = parts
        .map((p) => refGrads(ref.params[0], ref.params[1], p))
        .reduce((a, c) => ({
          W: a.W.map((v, i) => v + c.W[i]),
          b: a.b.map((v, i) => v + c.b[i]),
        }));
      const refNorm = ref.step([sum.W, sum.b], h);
      expect((await trainA.step(parts[0])).gradNorm).toBeNull();
      await trainB.step(parts[1]);
      expect(state.microBatches).toBe(2);
      const r = await trainA.step(parts[2], h);
      expect(state.microBatches).toBe(0);
      expect(r.gradNorm).toBeCloseTo(refNorm, 3);
      expectClose(await store.read('W'), ref.params[0], 2e-5);
      expectClose(await store.read('b'), ref.params[1], 2e-5);
    }
  });

  it('grads() returns the gradients without touching params, and refuses mid-accumulation', async () => {
    const { rng, backend, store, ref } = setup(4);
    const g = new Graph();
    const train = compileTrainStep(g, regression(g, 6), [], backend, store);
    const batch = makeBatch(rng, 6);
    const before = await store.read('W');
    const r = await train.grads(batch);
    const want = refGrads(ref.params[0], ref.params[1], batch);
    expectClose(r.grads.get('W') as Float32Array, want.W, 1e-5);
    expectClose(r.grads.get('b') as Float32Array, want.b, 1e-5);
    expect(r.gradNorm).toBeCloseTo(Math.sqrt([...want.W, ...want.b].reduce((s, v) => s + v * v, 0)), 3);
    expect([...(await store.read('W'))]).toEqual([...before]);
    await train.step(batch);
    await expect(train.grads(batch)).rejects.toThrow(/accumulating/);
  });

  it('writes the documented hyper buffer', () => {
    const h: AdamWHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };
    const buf = adamwHyperBuffer(h, 3);
    const want = [1e-3, 0.9, 0.99, 1e-8, 0.01, 1 - 0.9 ** 3, 1 - 0.99 ** 3, 1];
    for (let i = 0; i < want.length; i++) expect(buf[i]).toBeCloseTo(Math.fround(want[i]), 10);
    expect(() => adamwHyperBuffer({ ...h, beta1: 1 }, 1)).toThrow(/beta1/);
    expect(() => adamwHyperBuffer(h, 0)).toThrow(/>= 1/);
  });
});

describe('grad clipping', () => {
  it('follows clip_grad_norm_: coef = max / (norm + 1e-6), clamped to 1; 0 disables', () => {
    expect(clipCoefficient(25, 1)).toBeCloseTo(1 / (5 + 1e-6), 12);
    expect(clipCoefficient(25, 10)).toBe(1);
    expect(clipCoefficient(1e6, 0)).toBe(1);
  });
});

describe('LR schedules', () => {
  const base = { lr: 1e-3, warmupSteps: 10, totalSteps: 110 };
  it('warm up linearly from 0', () => {
    for (const schedule of ['constant', 'linear', 'cosine'] as const) {
      expect(lrAt(0, { ...base, schedule })).toBe(0);
      expect(lrAt(5, { ...base, schedule })).toBeCloseTo(5e-4, 12);
      expect(lrAt(10, { ...base, schedule })).toBeCloseTo(1e-3, 12);
    }
  });
  it('constant stays at the peak', () => {
    expect(lrAt(100, { ...base, schedule: 'constant' })).toBe(1e-3);
    expect(lrAt(0, { ...base, warmupSteps: 0, schedule: 'constant' })).toBe(1e-3);
  });
  it('linear decays to 0 at totalSteps', () => {
    expect(lrAt(60, { ...base, schedule: 'linear' })).toBeCloseTo(5e-4, 12);
    expect(lrAt(85, { ...base, schedule: 'linear' })).toBeCloseTo(2.5e-4, 12);
    expect(lrAt(110, { ...base, schedule: 'linear' })).toBe(0);
    expect(lrAt(200, { ...base, schedule: 'linear' })).toBe(0);
  });
  it('cosine follows a half cosine to 0', () => {
    expect(lrAt(35, { ...base, schedule: 'cosine' })).toBeCloseTo(1e-3 * 0.8535533905932737, 12);
    expect(lrAt(60, { ...base, schedule: 'cosine' })).toBeCloseTo(5e-4, 12);
    expect(lrAt(85, { ...base, schedule: 'cosine' })).toBeCloseTo(1e-3 * 0.14644660940672627, 12);
    expect(lrAt(110, { ...base, schedule: 'cosine' })).toBeCloseTo(0, 12);
  });
  it('rejects unknown schedules', () => {
    expect(() => lrAt(20, { ...base, schedule: 'step' as 'linear' })).toThrow(/unknown schedule/);
  });
});
