/**
 * Finite-difference checks of every differentiable op through buildBackward (random odd shapes),
 * a composite attention block end to end, and autodiff's structural rules.
 */
import { describe, expect, it } from 'vitest';
import { buildBackward, GradientError } from '../../src/engine/autodiff.ts';
import { Graph } from '../../src/engine/graph.ts';
import { UNARY_DOMAIN, UNARY_FNS } from '../../src/engine/ops.ts';
import { Rng } from '../../src/engine/random.ts';
import { awayFromZero, type GradCase, gradCheck, randn } from './engine-helpers.ts';

async function expectGradsMatch(c: GradCase): Promise<void> {
  const r = await gradCheck(c);
  expect(r.mismatches).toEqual([]);
  expect(r.checked).toBeGreaterThan(0);
  expect(r.maxAbsGrad).toBeGreaterThan(1e-2);
}

const S = [3, 5, 7];

describe('gradients of elementwise ops', () => {
  for (const op of ['add', 'sub', 'mul'] as const) {
    for (const bShape of [S, [7], [5, 7]]) {
      it(`${op} with b ${JSON.stringify(bShape)}`, () =>
        expectGradsMatch({ build: (g) => ({ out: g[op](g.param('a', S), g.param('b', bShape)) }) }));
    }
  }
  it('mul of a node with itself sums both paths', () =>
    expectGradsMatch({
      build: (g) => {
        const a = g.param('a', S);
        return { out: g.mul(a, a) };
      },
    }));
  it('scale', () => expectGradsMatch({ build: (g) => ({ out: g.scale(g.param('a', S), -1.7) }) }));
  for (const fn of UNARY_FNS) {
    it(`unary ${fn}`, () =>
      expectGradsMatch({
        build: (g) => ({ out: g.unary(g.param('a', [4, 9]), fn) }),
        init: (_n, shape, rng) => {
          const v = awayFromZero(rng, shape, 0.1);
          const sign = { positive: 1, negative: -1 }[UNARY_DOMAIN[fn] ?? 'positive'];
          if (UNARY_DOMAIN[fn]) for (let i = 0; i < v.length; i++) v[i] = sign * (Math.abs(v[i]) + 0.3);
          return v;
        },
      }));
  }
});

describe('gradients of reductions', () => {
  it('sum_all', () => expectGradsMatch({ build: (g) => ({ out: g.sumAll(g.param('a', S)) }) }));
  it('sumsq', () => expectGradsMatch({ build: (g) => ({ out: g.sumsq(g.param('a', S)) }) }));
  for (const keep of [0, 1, 2]) {
    it(`sum_leading keep ${keep}`, () =>
      expectGradsMatch({ build: (g) => ({ out: g.sumLeading(g.param('a', S), keep) }) }));
  }
  for (const from of [[7], [5, 7], [1], [1, 1]]) {
    it(`broadcast_to from ${JSON.stringify(from)}`, () =>
      expectGradsMatch({ build: (g) => ({ out: g.broadcastTo(g.param('a', from), S) }) }));
  }
  const mask = Float32Array.from({ length: 35 }, (_, i) => (i % 3 === 0 ? 0 : i % 5 === 0 ? 0.5 : 1));
  it('masked_row_sum', () =>
    expectGradsMatch({
      build: (g) => ({ out: g.maskedRowSum(g.param('x', [5, 7]), g.input('mask', [5, 7])), feeds: { mask } }),
    }));
  it('expand_rows', () =>
    expectGradsMatch({
      build: (g) => ({ out: g.expandRows(g.param('g', [5]), g.input('mask', [5, 7])), feeds: { mask } }),
    }));
});

describe('gradients of matmul', () => {
  const M = 3;
  const K = 5;
  const N = 4;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const aS = transA ? [K, M] : [M, K];
      const bS = transB ? [N, K] : [K, N];
      it(`2-D transA=${transA} transB=${transB}`, () =>
        expectGradsMatch({ build: (g) => ({ out: g.matmul(g.param('a', aS), g.param('b', bS), transA, transB) }) }));
      it(`batched [2,3] transA=${transA} transB=${transB}`, () =>
        expectGradsMatch({
          build: (g) => ({ out: g.matmul(g.param('a', [2, 3, ...aS]), g.param('b', [2, 3, ...bS]), transA, transB) }),
        }));
    }
    it(`batched a with a shared 2-D b, transB=${transA}`, () =>
      expectGradsMatch({
        build: (g) => ({
          out: g.matmul(g.param('a', [2, 3, M, K]), g.param('b', transA ? [N, K] : [K, N]), false, transA),
        }),
      }));
  }
});

describe('gradients of layout ops', () => {
  it('reshape', () => expectGradsMatch({ build: (g) => ({ out: g.reshape(g.param('a', S), [15, 7]) }) }));
  it('permute 3-D', () => expectGradsMatch({ build: (g) => ({ out: g.permute(g.param('a', S), [2, 0, 1]) }) }));
  it('permute 4-D', () =>
    expectGradsMatch({ build: (g) => ({ out: g.permute(g.param('a', [2, 3, 4, 5]), [0, 2, 3, 1]) }) }));
  it('slice_last', () => expectGradsMatch({ build: (g) => ({ out: g.sliceLast(g.param('a', S), 2, 3) }) }));
  it('pad_last', () => expectGradsMatch({ build: (g) => ({ out: g.padLast(g.param('a', S), 3, 11) }) }));
  it('repeat_heads', () => expectGradsMatch({ build: (g) => ({ out: g.repeatHeads(g.param('a', [2, 2, 3, 4]), 3) }) }));
  it('sum_heads', () => expectGradsMatch({ build: (g) => ({ out: g.sumHeads(g.param('a', [2, 6, 3, 4]), 3) }) }));
});

describe('gradients of nn ops', () => {
  it('embedding with repeated ids', () =>
    expectGradsMatch({
      build: (g) => ({
        out: g.embedding(g.param('table', [6, 5]), g.input('ids', [2, 4], 'i32')),
        feeds: { ids: Int32Array.of(1, 3, 1, 0, 5, 1, 3, 3) },
      }),
    }));
  it('layernorm (x, w, b)', () =>
    expectGradsMatch({
      build: (g) => ({ out: g.layernorm(g.param('x', S), g.param('w', [7]), g.param('b', [7]), 1e-5) }),
    }));
  it('rmsnorm (x, w)', () =>
    expectGradsMatch({ build: (g) => ({ out: g.rmsnorm(g.param('x', S), g.param('w', [7]), 1e-6) }) }));
  for (const inverse of [false, true]) {
    it(`rope inverse=${inverse}`, () =>
      expectGradsMatch({ build: (g) => ({ out: g.rope(g.param('x', [2, 3, 5, 6]), 10000, inverse) }) }));
  }
  it('softmax_causal with a padding mask (and a fully masked row)', () =>
    expectGradsMatch({
      build: (g) => ({
        out: g.softmaxCausal(g.param('s', [2, 3, 5, 5]), g.input('keyMask', [2, 5]), 0.7),
        // Row 0 masks key 0 (its first query sees nothing); row 1 is right-padded.
        feeds: { keyMask: Float32Array.of(0, 1, 1, 1, 1, 1, 1, 1, 0, 0) },
      }),
    }));
  it('token_logprobs with a negative (ignored) target', () =>
    expectGradsMatch({
      build: (g) => ({
        out: g.tokenLogprobs(g.param('logits', [5, 7]), g.input('targets', [5], 'i32')),
        feeds: { targets: Int32Array.of(3, -100, 0, 6, 3) },
      }),
    }));
});

describe('composite graph', () => {
  it('a one-layer attention block (GQA, RoPE, padding) with a sequence-logprob loss', () =>
    expectGradsMatch({
      seed: 7,
      maxCoords: 12,
      build: (g) => {
        const [B, T, D, H, Hkv, V] = [2, 5, 8, 4, 2, 11];
        const hd = D / H;
        const ids = g.input('ids', [B, T], 'i32');
        const targets = g.input('targets', [B * T], 'i32');
        const mask = g.input('mask', [B, T]);
        const x = g.embedding(g.param('wte', [V, D]), ids);
        const h = g.layernorm(x, g.param('ln.w', [D]), g.param('ln.b', [D]), 1e-5);
        const heads = (w: string, nh: number) =>
          g.permute(g.reshape(g.matmul(h, g.param(w, [D, nh * hd])), [B, T, nh, hd]), [0, 2, 1, 3]);
        const q = g.rope(heads('wq', H), 10000);
        const k = g.repeatHeads(g.rope(heads('wk', Hkv), 10000), H / Hkv);
        const v = g.repeatHeads(heads('wv', Hkv), H / Hkv);
        const p = g.softmaxCausal(g.matmul(q, k, false, true), mask, 1 / Math.sqrt(hd));
        const att = g.reshape(g.permute(g.matmul(p, v), [0, 2, 1, 3]), [B, T, D]);
        const y = g.add(x, g.matmul(att, g.param('wo', [D, D])));
        const mlp = g.matmul(
          g.unary(g.matmul(g.rmsnorm(y, g.param('rms.w', [D]), 1e-6), g.param('w1', [D, 12])), 'gelu_tanh'),
          g.param('w2', [12, D]),
        );
        const z = g.add(y, mlp);
        const logits = g.reshape(g.matmul(z, g.param('wte', [V, D]), false, true), [B * T, V]);
        const lp = g.reshape(g.tokenLogprobs(logits, targets), [B, T]);
        const seq = g.maskedRowSum(lp, mask);
        const out = g.unary(g.sliceLast(g.reshape(seq, [1, B]), 0, 1), 'log_sigmoid');
        return {
          out: g.add(out, g.scale(g.sliceLast(g.reshape(seq, [1, B]), 1, 1), 0.1)),
          feeds: {
            ids: Int32Array.of(1, 4, 4, 9, 2, 3, 10, 0, 0, 0),
            targets: Int32Array.of(4, 4, 9, 2, -100, 10, 0, -100, -100, -100),
            mask: Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
          },
        };
      },
      init: (name, shape, rng) => randn(rng, shape, name.endsWith('.w') ? 1 : 0.5),
    }));
});

describe('autodiff structure', () => {
  it('gives no gradient to params off the path to the loss, and no nodes for frozen branches', () => {
    const g = new Graph();
    const a = g.param('a', [3]);
    const frozen = g.param('frozen', [3], false);
    const unused = g.param('unused', [3]);
    const x = g.input('x', [3]);
    const loss = g.sumAll(g.mul(g.add(a, x), g.unary(frozen, 'exp')));
    const before = g.nodes.length;
    const grads = buildBackward(g, loss, [a, unused]);
    expect(grads.has(a)).toBe(true);
    expect(grads.has(unused)).toBe(false);
    // exp(frozen) is a constant here: no unary_grad may be built for it.
    expect(g.nodes.slice(before).some((n) => n.op === 'unary_grad')).toBe(false);
  });

  it('throws a clear error when a gradient op would be differentiated', () => {
    const g = new Graph();
    const a = g.param('a', [2, 3]);
    const bad = g.node('unary_grad', [a, a], { fn: 'exp' }, [2, 3]);
    expect(() => buildBackward(g, g.sumAll(bad), [a])).toThrow(GradientError);
    expect(() => buildBackward(g, g.sumAll(bad), [a])).toThrow(/unary_grad.*no gradient/);
  });

  it('throws when a mask depends on a differentiated param', () => {
    const g = new Graph();
    const x = g.param('x', [2, 3]);
    expect(() => buildBackward(g, g.sumAll(g.maskedRowSum(x, x)), [x])).toThrow(/mask/);
  });

  it('sums gradients from several consumers', async () => {
    const rng = new Rng(3);
    // out = a*b + a: d/da = b + 1 (two paths into a).
    const r = await gradCheck({
      build: (g) => {
        const a = g.param('a', [4]);
        return { out: g.add(g.mul(a, g.param('b', [4])), a) };
      },
      init: (_n, s) => randn(rng, s),
    });
    expect(r.mismatches).toEqual([]);
  });
});
