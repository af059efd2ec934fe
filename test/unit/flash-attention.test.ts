/**
 * Fused causal attention on the CPU backend against the unfused path it replaces
 * (q k^T, softmax_causal, p v with repeated kv heads): forward and the gradients of q, k and v on
 * odd shapes with grouped-query heads, right padding and a row whose keys are all masked; and the
 * gradients against finite differences.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { Graph, Node } from '../../src/engine/graph.ts';
import { Graph as GraphClass } from '../../src/engine/graph.ts';
import type { AttentionSizes } from '../../src/engine/ops/attention/index.ts';
import { stagedBlock } from '../../src/engine/ops/attention/wgsl.ts';
import { ShapeError } from '../../src/engine/ops/shape.ts';
import type { Shape } from '../../src/engine/ops.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { gradCheck, must, randn } from './engine-helpers.ts';

type Attend = (g: Graph, q: Node, k: Node, v: Node, mask: Node, scale: number) => Node;

const fused: Attend = (g, q, k, v, mask, scale) => g.flashAttention(q, k, v, mask, scale);
const unfused: Attend = (g, q, k, v, mask, scale) => {
  const rep = q.shape[1] / k.shape[1];
  const probs = g.softmaxCausal(g.matmul(q, g.repeatHeads(k, rep), false, true), mask, scale);
  return g.matmul(probs, g.repeatHeads(v, rep));
};

interface Case extends AttentionSizes {
  /** keyMask rows: 1 = real token. */
  mask: number[][];
}

/** Right padding per batch row (real tokens first); `leadingPad` masks key 0 of the last row too. */
function padMask(B: number, T: number, lengths: number[], leadingPad = false): number[][] {
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, j) => (j < lengths[b] && !(leadingPad && b === B - 1 && j === 0) ? 1 : 0)),
  );
}

/** Output and gradients of q, k, v under L = sum(out * R), for one attention implementation. */
async function run(c: Case, attend: Attend, seed: number) {
  const rng = new Rng(seed);
  const g = new GraphClass();
  const q = g.param('q', [c.B, c.H, c.Tq, c.D]);
  const k = g.param('k', [c.B, c.Hkv, c.Tk, c.D]);
  const v = g.param('v', [c.B, c.Hkv, c.Tk, c.D]);
  const mask = g.input('mask', [c.B, c.Tk]);
  const out = attend(g, q, k, v, mask, 1 / Math.sqrt(c.D) + 0.05);
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (_name, shape: Shape) => randn(rng, shape, 1.5));
  const R = randn(rng, out.shape);
  const step = compileTrainStep(g, out, [out], backend, store, { trainable: ['q', 'k', 'v'] });
  const feeds = { mask: Float32Array.from(c.mask.flat()) };
  const { grads, outputs } = await step.grads(feeds, { lossScale: R });
  return {
    out: must(outputs?.[0], 'attention output'),
    dq: must(grads.get('q'), 'dq'),
    dk: must(grads.get('k'), 'dk'),
    dv: must(grads.get('v'), 'dv'),
  };
}

function expectClose(got: Float32Array, want: Float32Array, label: string, tol = 2e-5) {
  expect(got.length, label).toBe(want.length);
  let scale = 0;
  for (const x of want) scale = Math.max(scale, Math.abs(x));
  expect(scale, `${label}: a reference of all zeros proves nothing`).toBeGreaterThan(0.1);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * (1 + Math.abs(want[i])))) {
      throw new Error(`${label}[${i}]: fused ${got[i]} vs unfused ${want[i]} (|err| ${err.toExponential(2)})`);
    }
  }
}

const CASES: [string, Case][] = [
  [
    'T=13, D=7, H=6, Hkv=2, right padding',
    { B: 3, H: 6, Hkv: 2, Tq: 13, Tk: 13, D: 7, mask: padMask(3, 13, [13, 9, 4]) },
  ],
  [
    'T=13, D=7, H=6, Hkv=3, a row whose first key is padding (fully masked first query)',
    { B: 2, H: 6, Hkv: 3, Tq: 13, Tk: 13, D: 7, mask: padMask(2, 13, [11, 13], true) },
  ],
  [
    'T=150 (more than two key blocks), D=5, H=2, Hkv=1',
    { B: 2, H: 2, Hkv: 1, Tq: 150, Tk: 150, D: 5, mask: padMask(2, 150, [150, 97]) },
  ],
  [
    'decode-shaped: Tq=3 queries against Tk=11 keys',
    { B: 2, H: 4, Hkv: 2, Tq: 3, Tk: 11, D: 6, mask: padMask(2, 11, [11, 8]) },
  ],
];

describe('flash_attention on the CPU backend matches the unfused attention', () => {
  for (const [name, c] of CASES) {
    it(name, async () => {
      const want = await run(c, unfused, 5);
      const got = await run(c, fused, 5);
      expectClose(got.out, want.out, 'out');
      expectClose(got.dq, want.dq, 'dq');
      expectClose(got.dk, want.dk, 'dk');
      expectClose(got.dv, want.dv, 'dv');
    });
  }

  it('gives 0 (output and gradients) for a query whose keys are all masked', async () => {
    const c = CASES[1][1];
    const got = await run(c, fused, 9);
    const row = (h: number) => ((c.B - 1) * c.H + h) * c.Tq * c.D; // query 0 of the last batch row
    for (let h = 0; h < c.H; h++)
      for (let d = 0; d < c.D; d++) {
        expect(got.out[row(h) + d]).toBe(0);
        expect(got.dq[row(h) + d]).toBe(0);
      }
  });

  it('refuses shapes that do not fit, saying which', () => {
    const g = new GraphClass();
    const q = g.param('q', [1, 5, 4, 8]);
    const k = g.param('k', [1, 2, 4, 8]);
    const mask = g.input('mask', [1, 4]);
    expect(() => g.flashAttention(q, k, k, mask, 1)).toThrow(ShapeError);
    expect(() => g.flashAttention(q, k, k, mask, 1)).toThrow(/H a multiple of Hkv/);
  });
});

describe('WGSL key blocks fit the adapter', () => {
  it('halves the staged block until two [block, D] tiles fit workgroup storage, and refuses a head too wide', () => {
    expect(stagedBlock(7, 2, 16384)).toBe(32);
    expect(stagedBlock(64, 2, 16384)).toBe(32);
    expect(stagedBlock(128, 2, 16384)).toBe(16);
    expect(stagedBlock(128, 2, 32768)).toBe(32);
    expect(() => stagedBlock(4096, 2, 16384)).toThrow(
      /head dim 4096 needs 32768 bytes .* allows 16384; use the unfused attention/,
    );
  });
});

describe('flash_attention gradients against finite differences', () => {
  const mask = padMask(2, 9, [9, 6], true).flat();
  for (const wrt of ['q', 'k', 'v']) {
    it(`d/d${wrt}, GQA (H=4, Hkv=2), padding and a fully masked row`, async () => {
      const report = await gradCheck({
        seed: 3,
        wrt: [wrt],
        maxCoords: 40,
        build: (g) => ({
          out: g.flashAttention(
            g.param('q', [2, 4, 9, 5]),
            g.param('k', [2, 2, 9, 5]),
            g.param('v', [2, 2, 9, 5]),
            g.input('mask', [2, 9]),
            0.6,
          ),
          feeds: { mask: Float32Array.from(mask) },
        }),
      });
      expect(report.mismatches).toEqual([]);
      expect(report.maxAbsGrad).toBeGreaterThan(0.05);
    });
  }
});
