/**
 * One or two cases per op of the catalogue (every op a launch can carry), on odd shapes, for the
 * browser-worker sweep. The Node suites (test/gpu/webgpu-*.test.ts) test each op in more depth;
 * this sweep proves the same kernels compile and agree with the CPU backend inside Chromium.
 */
import type { WebGPUBackend } from '../../../src/engine/backends/webgpu/index.ts';
import { UNARY_DOMAIN, UNARY_FNS } from '../../../src/engine/ops.ts';
import { flashAttentionCases } from '../../gpu/flash-attention-cases.ts';
import {
  adamwCase,
  checkAgainstCpu,
  f32,
  i32,
  LOOSE,
  type OpCase,
  Rng,
  randn,
  TIGHT,
  type Tolerance,
  uniform,
} from '../../gpu/webgpu-op-case.ts';

export interface SweepCase {
  readonly name: string;
  readonly c: OpCase;
  readonly tol: Tolerance;
}

export function sweepCases(seed = 31): SweepCase[] {
  const rng = new Rng(seed);
  const S = [3, 5, 7];
  const mask = (B: number, T: number) => {
    const m = uniform(rng, [B, T], 0, 1);
    for (let i = 0; i < m.data.length; i++) m.data[i] = m.data[i] > 0.25 || i % T === 0 ? 1 : 0;
    return m;
  };
  const cases: SweepCase[] = [];
  const add = (name: string, c: OpCase, tol: Tolerance = LOOSE) => cases.push({ name, c, tol });

  for (const op of ['add', 'sub', 'mul'] as const) {
    add(`${op} broadcast`, { op, attrs: {}, inputs: [randn(rng, S), randn(rng, [5, 7])], out: S }, TIGHT);
    add(`${op} in place`, { op, attrs: {}, inputs: [randn(rng, S), randn(rng, S)], out: S, inPlace: 0 }, TIGHT);
  }
  add('scale', { op: 'scale', attrs: { s: -1.7 }, inputs: [randn(rng, S)], out: S, inPlace: 0 }, TIGHT);
  for (const fn of UNARY_FNS) {
    const domain = UNARY_DOMAIN[fn];
    const x =
      domain === 'positive'
        ? uniform(rng, S, 0.1, 3)
        : domain === 'negative'
          ? uniform(rng, S, -9, -0.01)
          : uniform(rng, S, -9, 9);
    add(`unary ${fn}`, { op: 'unary', attrs: { fn }, inputs: [x], out: S });
    add(`unary_grad ${fn}`, { op: 'unary_grad', attrs: { fn }, inputs: [x, randn(rng, S)], out: S });
  }
  // The mask is an integer hash, so both backends drop exactly the same elements.
  add(
    'dropout',
    { op: 'dropout', attrs: { p: 0.3, salt: 5 }, inputs: [randn(rng, S), i32([1], [12345])], out: S },
    TIGHT,
  );
  add('sum_all', { op: 'sum_all', attrs: {}, inputs: [randn(rng, [5001])], out: [1] }, { rtol: 1e-4, atol: 1e-3 });
  add('sumsq', { op: 'sumsq', attrs: {}, inputs: [randn(rng, [5001])], out: [1] });
  add('sum_leading', { op: 'sum_leading', attrs: { keep: 1 }, inputs: [randn(rng, [300, 7])], out: [7] });
  add('broadcast_to', { op: 'broadcast_to', attrs: { shape: S }, inputs: [randn(rng, [7])], out: S }, TIGHT);
  add('masked_row_sum', { op: 'masked_row_sum', attrs: {}, inputs: [randn(rng, [3, 11]), mask(3, 11)], out: [3] });
  add('expand_rows', { op: 'expand_rows', attrs: {}, inputs: [randn(rng, [3]), mask(3, 11)], out: [3, 11] }, TIGHT);
  for (const [tA, tB] of [
    [false, false],
    [true, true],
  ] as const) {
    const a = tA ? [3, 13, 17] : [3, 17, 13];
    const b = tB ? [3, 11, 13] : [3, 13, 11];
    add(`matmul tA${tA} tB${tB}`, {
      op: 'matmul',
      attrs: { transA: tA, transB: tB },
      inputs: [randn(rng, a), randn(rng, b)],
      out: [3, 17, 11],
    });
  }
  add('matmul shared b', {
    op: 'matmul',
    attrs: { transA: false, transB: true },
    inputs: [randn(rng, [2, 37, 53]), randn(rng, [29, 53])],
    out: [2, 37, 29],
  });
  add('reshape (copy)', { op: 'reshape', attrs: { shape: [15, 7] }, inputs: [randn(rng, S)], out: [15, 7] }, TIGHT);
  add(
    'permute',
    { op: 'permute', attrs: { perm: [2, 0, 3, 1] }, inputs: [randn(rng, [2, 3, 5, 7])], out: [5, 2, 7, 3] },
    TIGHT,
  );
  add('slice_last', { op: 'slice_last', attrs: { start: 2, len: 4 }, inputs: [randn(rng, S)], out: [3, 5, 4] }, TIGHT);
  add('pad_last', { op: 'pad_last', attrs: { start: 2, total: 9 }, inputs: [randn(rng, S)], out: [3, 5, 9] }, TIGHT);
  add(
    'repeat_heads',
    { op: 'repeat_heads', attrs: { rep: 2 }, inputs: [randn(rng, [2, 3, 5, 4])], out: [2, 6, 5, 4] },
    TIGHT,
  );
  add(
    'sum_heads',
    { op: 'sum_heads', attrs: { rep: 2 }, inputs: [randn(rng, [2, 6, 5, 4])], out: [2, 3, 5, 4] },
    TIGHT,
  );
  const ids = i32([2, 5], [0, 22, 5, 5, 9, 22, 1, 0, 5, 13]);
  add('embedding', { op: 'embedding', attrs: {}, inputs: [randn(rng, [23, 9]), ids], out: [2, 5, 9] }, TIGHT);
  add('embedding_grad', {
    op: 'embedding_grad',
    attrs: { vocab: 23 },
    inputs: [ids, randn(rng, [2, 5, 9])],
    out: [23, 9],
  });
  const x = randn(rng, [11, 37]);
  const w = randn(rng, [37]);
  const g = randn(rng, [11, 37]);
  add('layernorm', { op: 'layernorm', attrs: { eps: 1e-5 }, inputs: [x, w, randn(rng, [37])], out: [11, 37] });
  add('layernorm_grad_x', { op: 'layernorm_grad_x', attrs: { eps: 1e-5 }, inputs: [x, w, g], out: [11, 37] });
  add('layernorm_grad_w', { op: 'layernorm_grad_w', attrs: { eps: 1e-5 }, inputs: [x, g], out: [37] });
  add('rmsnorm', { op: 'rmsnorm', attrs: { eps: 1e-6 }, inputs: [x, w], out: [11, 37] });
  add('rmsnorm_grad_x', { op: 'rmsnorm_grad_x', attrs: { eps: 1e-6 }, inputs: [x, w, g], out: [11, 37] });
  add('rmsnorm_grad_w', { op: 'rmsnorm_grad_w', attrs: { eps: 1e-6 }, inputs: [x, g], out: [37] });
  add(
    'rope',
    { op: 'rope', attrs: { theta: 10000, inverse: false }, inputs: [randn(rng, [2, 3, 13, 8])], out: [2, 3, 13, 8] },
    TIGHT,
  );
  add(
    'rope inverse',
    { op: 'rope', attrs: { theta: 10000, inverse: true }, inputs: [randn(rng, [2, 3, 13, 8])], out: [2, 3, 13, 8] },
    TIGHT,
  );
  add(
    'rope_at',
    {
      op: 'rope_at',
      attrs: { theta: 10000 },
      inputs: [randn(rng, [2, 3, 2, 8]), i32([2], [7, 300])],
      out: [2, 3, 2, 8],
    },
    TIGHT,
  );
  add(
    'cache_write',
    {
      op: 'cache_write',
      attrs: {},
      inputs: [randn(rng, [2, 3, 5, 4]), randn(rng, [2, 3, 2, 4]), i32([2], [0, 4])],
      out: [2, 3, 5, 4],
      inPlace: 0,
    },
    TIGHT,
  );
  add('softmax_causal', {
    op: 'softmax_causal',
    attrs: { scale: 0.4 },
    inputs: [randn(rng, [2, 3, 13, 13], 3), mask(2, 13)],
    out: [2, 3, 13, 13],
  });
  add('softmax_causal decode', {
    op: 'softmax_causal',
    attrs: { scale: 0.4 },
    inputs: [randn(rng, [2, 3, 2, 9]), mask(2, 9)],
    out: [2, 3, 2, 9],
  });
  add('softmax_causal_grad', {
    op: 'softmax_causal_grad',
    attrs: { scale: 0.4 },
    inputs: [uniform(rng, [2, 3, 13, 13], 0, 1), randn(rng, [2, 3, 13, 13])],
    out: [2, 3, 13, 13],
  });
  const logits = randn(rng, [7, 333], 3);
  const targets = i32([7], [0, 332, -1, 17, 100, 5, 200]);
  add('token_logprobs', { op: 'token_logprobs', attrs: {}, inputs: [logits, targets], out: [7] });
  add('token_logprobs_grad', {
    op: 'token_logprobs_grad',
    attrs: {},
    inputs: [logits, targets, f32([7], rng.normals(7))],
    out: [7, 333],
  });
  // The chunked LM head: hidden [5, 9], weight [37, 9]; the gradients' log-probs are inputs (any
  // finite values exercise the same arithmetic on both backends).
  const head = [randn(rng, [5, 9], 0.5), randn(rng, [37, 9]), i32([5], [36, -1, 0, 17, 5])];
  add('lm_head_logprobs', { op: 'lm_head_logprobs', attrs: {}, inputs: head, out: [5] });
  const headGrad = [...head, uniform(rng, [5], -4, -1), f32([5], rng.normals(5))];
  add('lm_head_logprobs_grad_hidden', { op: 'lm_head_logprobs_grad_hidden', attrs: {}, inputs: headGrad, out: [5, 9] });
  add('lm_head_logprobs_grad_weight', {
    op: 'lm_head_logprobs_grad_weight',
    attrs: {},
    inputs: headGrad,
    out: [37, 9],
  });
  const attention = { B: 2, H: 4, Hkv: 2, Tq: 13, Tk: 13, D: 7, lengths: [13, 9], leadingPad: true };
  for (const c of flashAttentionCases(rng, attention)) add(c.op, c);
  const hyper = [1e-2, 0.9, 0.999, 1e-8, 0.1, 0.1, 0.001, 1];
  add('adamw', adamwCase(rng, S, hyper, 4), TIGHT);
  return cases;
}

export interface SweepResult {
  readonly name: string;
  readonly op: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly ms: number;
}

/** Runs every case against the CPU backend; never throws (failures are reported per case). */
export async function runSweep(gpu: WebGPUBackend, cases: readonly SweepCase[]): Promise<SweepResult[]> {
  const results: SweepResult[] = [];
  for (const { name, c, tol } of cases) {
    const t0 = performance.now();
    try {
      await checkAgainstCpu(gpu, c, tol, name);
      results.push({ name, op: c.op, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      results.push({
        name,
        op: c.op,
        ok: false,
        error: e instanceof Error ? e.message : String(e),
        ms: performance.now() - t0,
      });
    }
  }
  return results;
}
