/**
 * The chunked LM head (ops/lm-head) on the CPU backend: forward and both gradients against the
 * unfused path (matmul + token_logprobs, differentiated by autodiff) on odd shapes whose vocabulary
 * is not a multiple of the chunk, and against finite differences of a float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph, type Node } from '../../src/engine/graph.ts';
import { VOCAB_CHUNK } from '../../src/engine/ops/lm-head/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { gradCheck } from './engine-helpers.ts';

interface HeadCase {
  N: number;
  d: number;
  V: number;
  hidden: Float32Array;
  weight: Float32Array;
  targets: Int32Array;
  /** Loss weights R: the loss is sum_n R[n] logp[n]. */
  R: Float32Array;
}

function makeCase(seed: number, N: number, d: number, V: number): HeadCase {
  const rng = new Rng(seed);
  const targets = Int32Array.from({ length: N }, () => rng.int(V));
  targets[1] = -100; // a padding row
  targets[N - 1] = V - 1; // the last vocabulary row (in the short last chunk)
  return {
    N,
    d,
    V,
    hidden: rng.normals(N * d, 1),
    weight: rng.normals(V * d, 0.7),
    targets,
    R: rng.normals(N, 1),
  };
}

/** logp [N], dhidden and dweight of sum(R * logp) through the chunked head or the unfused path. */
async function run(c: HeadCase, chunked: boolean) {
  const g = new Graph();
  const hidden = g.param('hidden', [c.N, c.d]);
  const weight = g.param('weight', [c.V, c.d]);
  const targets = g.input('targets', [c.N], 'i32');
  const logp: Node = chunked
    ? g.lmHeadLogprobs(hidden, weight, targets)
    : g.tokenLogprobs(g.matmul(hidden, weight, false, true), targets);
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (name) => (name === 'hidden' ? c.hidden : c.weight));
  const train = compileTrainStep(g, logp, [logp], backend, store, { trainable: ['hidden', 'weight'] });
  const { grads, outputs } = await train.grads({ targets: c.targets }, { lossScale: c.R });
  const ops = new Set(g.nodes.map((n) => n.op));
  train.dispose();
  return { logp: outputs[0], dHidden: grads.get('hidden'), dWeight: grads.get('weight'), ops };
}

function expectClose(
  got: ArrayLike<number> | undefined,
  want: ArrayLike<number> | undefined,
  tol: number,
  what: string,
) {
  expect(got, what).toBeDefined();
  expect(want, what).toBeDefined();
  const a = got as ArrayLike<number>;
  const b = want as ArrayLike<number>;
  expect(a.length, what).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  expect(scale, `${what} is not all zero`).toBeGreaterThan(0);
  for (let i = 0; i < b.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])))) {
      throw new Error(`${what}[${i}] = ${a[i]}, want ${b[i]}`);
    }
  }
}

/** float64 log_softmax(h W^T)[t] per row (0 for negative targets), straight from the definition. */
function referenceLogp(N: number, d: number, V: number, h: Float64Array, w: Float64Array, t: Int32Array): Float64Array {
  const out = new Float64Array(N);
  const logits = new Float64Array(V);
  for (let n = 0; n < N; n++) {
    if (t[n] < 0) continue;
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += h[n * d + k] * w[v * d + k];
      logits[v] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[v] - max);
    out[n] = logits[t[n]] - max - Math.log(sum);
  }
  return out;
}

describe('chunked LM head against the unfused matmul + token_logprobs path (CPU)', () => {
  // 1031 = one full chunk + 7; 2 * VOCAB_CHUNK + 333 = three chunks, the last partial.
  for (const [N, d, V] of [
    [7, 13, 1031],
    [5, 9, 2 * VOCAB_CHUNK + 333],
    [3, 4, 50],
  ]) {
    it(`N=${N}, d=${d}, V=${V}: log-probs, dhidden and dweight`, async () => {
      expect(VOCAB_CHUNK).toBe(1024);
      const c = makeCase(N * 1000 + V, N, d, V);
      const fused = await run(c, true);
      const plain = await run(c, false);
      // The chunked graph really is chunked: no matmul and no [N, V] op.
      expect([...fused.ops].sort()).toEqual(
        expect.arrayContaining(['lm_head_logprobs', 'lm_head_logprobs_grad_hidden', 'lm_head_logprobs_grad_weight']),
      );
      expect(fused.ops.has('matmul')).toBe(false);
      expect(fused.ops.has('token_logprobs')).toBe(false);
      expectClose(fused.logp, plain.logp, 1e-5, 'logp');
      expect(fused.logp[1]).toBe(0);
      expectClose(fused.dHidden, plain.dHidden, 1e-5, 'dhidden');
      expectClose(fused.dWeight, plain.dWeight, 1e-5, 'dweight');
    });
  }

  it('refuses a target outside the vocabulary, naming the op', async () => {
    const c = makeCase(3, 4, 5, 30);
    c.targets[0] = 30;
    await expect(run(c, true)).rejects.toThrow(/lm_head_logprobs: token id 30 is outside the table's 30 rows/);
  });

  it('rejects mismatched shapes with what is wrong', () => {
    const g = new Graph();
    expect(() => g.lmHeadLogprobs(g.param('h', [4, 8]), g.param('w', [20, 7]), g.input('t', [4], 'i32'))).toThrow(
      /lm_head_logprobs: hidden \[4, 8\] must be \[N, d\], weight \[20, 7\] \[V, d\]/,
    );
  });
});

describe('chunked LM head gradients against finite differences', () => {
  it('float64 central differences of the definition match dhidden and dweight (V = 1031, two chunks)', async () => {
    const c = makeCase(77, 4, 6, VOCAB_CHUNK + 7);
    const { N, d, V } = c;
    const { dHidden, dWeight } = await run(c, true);
    const h = Float64Array.from(c.hidden);
    const w = Float64Array.from(c.weight);
    const loss = () => {
      const lp = referenceLogp(N, d, V, h, w, c.targets);
      let s = 0;
      for (let n = 0; n < N; n++) s += c.R[n] * lp[n];
      return s;
    };
    const fd = (x: Float64Array, i: number) => {
      const step = 1e-5;
      const x0 = x[i];
      x[i] = x0 + step;
      const plus = loss();
      x[i] = x0 - step;
      const minus = loss();
      x[i] = x0;
      return (plus - minus) / (2 * step);
    };
    const rng = new Rng(5);
    // Every hidden coordinate, and weight rows that are targets, in the last chunk, and random ones.
    for (let i = 0; i < N * d; i++) {
      expect(Math.abs((dHidden as Float32Array)[i] - fd(h, i)), `dhidden[${i}]`).toBeLessThan(1e-4);
    }
    const rows = [...new Set([...c.targets].filter((t) => t >= 0).concat([V - 2, 0, 1024, rng.int(V)]))];
    let biggest = 0;
    for (const v of rows) {
      for (let k = 0; k < d; k++) {
        const i = v * d + k;
        const got = (dWeight as Float32Array)[i];
        biggest = Math.max(biggest, Math.abs(got));
        expect(Math.abs(got - fd(w, i)), `dweight[${v}, ${k}]`).toBeLessThan(1e-4);
      }
    }
    // The target rows carry O(1) gradients: a check of all-zero gradients would prove nothing.
    expect(biggest).toBeGreaterThan(0.05);
  });

  it('the engine finite-difference check (f32) passes for hidden and a tied-style weight', async () => {
    const report = await gradCheck({
      seed: 11,
      build: (g) => ({
        out: g.lmHeadLogprobs(g.param('hidden', [5, 7]), g.param('weight', [37, 7]), g.input('t', [5], 'i32')),
        feeds: { t: Int32Array.of(3, -1, 36, 0, 3) },
      }),
    });
    expect(report.mismatches).toEqual([]);
    expect(report.checked).toBeGreaterThan(40);
    expect(report.maxAbsGrad).toBeGreaterThan(0.1);
  });
});
