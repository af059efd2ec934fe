/** Shared helpers for the engine unit tests: random data, graph evaluation, finite differences. */
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { Feeds } from '../../src/engine/feeds.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph, type Node } from '../../src/engine/graph.ts';
import { numel, type Shape } from '../../src/engine/ops.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';

/** The value, or a thrown error naming what was missing (a test's non-null assertion that fails loudly). */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`test: missing ${what}`);
  return value;
}

export function randn(rng: Rng, shape: Shape, std = 1): Float32Array {
  return rng.normals(numel(shape), std);
}

/** Evaluates `outputs` of a graph on the CPU backend with the given param values and feeds. */
export async function evaluate(
  build: (g: Graph) => Node[],
  paramValues: Record<string, Float32Array>,
  feeds: Feeds,
): Promise<Float32Array[]> {
  const g = new Graph();
  const outs = build(g);
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (name) => {
    if (!paramValues[name]) throw new Error(`test: no value for param ${name}`);
    return paramValues[name];
  });
  return compileForward(g, outs, backend, store).run(feeds);
}

export interface GradCase {
  /** Builds the graph; returns the output whose vector-Jacobian product is checked. */
  build(g: Graph): { out: Node; feeds?: Feeds };
  /** Param initial values (default: standard normals). */
  init?: (name: string, shape: Shape, rng: Rng) => Float32Array;
  /** Params to check (default: all). */
  wrt?: string[];
  seed?: number;
  /** Finite-difference step (default 1e-2). */
  h?: number;
  /** Coordinates checked per param at most (default 48). */
  maxCoords?: number;
}

export interface GradReport {
  mismatches: string[];
  checked: number;
  /** Largest |analytic gradient| seen: a check whose gradients are all ~0 proves nothing. */
  maxAbsGrad: number;
}

/**
 * Central finite differences of L = sum(out * R) (R fixed random, passed as the loss scale) against
 * the autodiff gradient, on the CPU backend in f32. The perturbation actually stored in f32 is
 * used as the step; the tolerance |fd - ad| <= 2e-3 + 1e-2 |ad| sits far below what a wrong rule
 * produces (O(1) differences) and above f32 rounding noise for these small problems.
 */
export async function gradCheck(c: GradCase): Promise<GradReport> {
  const rng = new Rng(c.seed ?? 1234);
  const g = new Graph();
  const { out, feeds = {} } = c.build(g);
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (name, shape) => (c.init ? c.init(name, shape, rng) : randn(rng, shape)));
  const wrt = c.wrt ?? g.params().map((p) => p.attrs.name);
  const R = randn(rng, out.shape);
  const train = compileTrainStep(g, out, [], backend, store, { trainable: wrt });
  const { grads } = await train.grads(feeds, { lossScale: R });
  const fwd = compileForward(g, [out], backend, store);
  const lossAt = async (): Promise<number> => {
    const [o] = await fwd.run(feeds);
    let s = 0;
    for (let i = 0; i < o.length; i++) s += o[i] * R[i];
    return s;
  };
  const h = c.h ?? 1e-2;
  const report: GradReport = { mismatches: [], checked: 0, maxAbsGrad: 0 };
  for (const name of wrt) {
    const values = await store.read(name);
    const ad = grads.get(name) as Float32Array;
    const coords = pickCoords(values.length, c.maxCoords ?? 48, rng);
    for (const i of coords) {
      const x = values[i];
      const plus = Math.fround(x + h);
      const minus = Math.fround(x - h);
      values[i] = plus;
      store.set(name, values);
      const lp = await lossAt();
      values[i] = minus;
      store.set(name, values);
      const lm = await lossAt();
      values[i] = x;
      store.set(name, values);
      const fd = (lp - lm) / (plus - minus);
      report.checked++;
      report.maxAbsGrad = Math.max(report.maxAbsGrad, Math.abs(ad[i]));
      if (!(Math.abs(fd - ad[i]) <= 2e-3 + 1e-2 * Math.abs(ad[i]))) {
        report.mismatches.push(`${name}[${i}]: autodiff ${ad[i]} vs finite difference ${fd}`);
      }
    }
  }
  return report;
}

function pickCoords(n: number, max: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  return n <= max ? all : rng.shuffle(all).slice(0, max);
}

/** Values bounded away from 0 (for relu/log and friends): sign * (lo + |normal|). */
export function awayFromZero(rng: Rng, shape: Shape, lo = 0.2): Float32Array {
  const v = randn(rng, shape);
  for (let i = 0; i < v.length; i++) v[i] = Math.sign(v[i] || 1) * (lo + Math.abs(v[i]));
  return v;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Runs one graph over f32/i32 inputs named x0, x1, ... */
export async function runGraph(
  build: (g: Graph, ins: Node[]) => Node,
  inputs: (Float32Array | Int32Array)[],
  shapes: Shape[],
) {
  const feeds: Record<string, Float32Array | Int32Array> = {};
  inputs.forEach((d, i) => {
    feeds[`x${i}`] = d;
  });
  const [out] = await evaluate(
    (g) => [
      build(
        g,
        shapes.map((s, i) => g.input(`x${i}`, s, inputs[i] instanceof Int32Array ? 'i32' : 'f32')),
      ),
    ],
    {},
    feeds,
  );
  return out;
}
