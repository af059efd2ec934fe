/**
 * Scalar runs (src/engine/backends/webgpu/fusion/scalar-run.ts): the global gradient norm, a sum
 * of sumsq over many tensors, as a few multi-tensor partial-sum kernels and one-thread replays of
 * the scalar ops. Sources of odd sizes (one element, exactly one block, one past a block, several
 * blocks) and more of them than one dispatch may bind; both reduction strategies.
 */
import { describe, expect, it } from 'vitest';
import { checkFusion, L, type LaunchDecl, type TensorDecl } from './fusion-harness.ts';
import { gpuBackendPerVariant } from './webgpu-helpers.ts';

const backend = gpuBackendPerVariant(['plain', 'fused', 'fused-workgroup'] as const, (v) => ({
  fusion: v !== 'plain',
  rows: v === 'fused-workgroup' ? 'workgroup' : 'thread',
}));

const SIZES = [1, 7, 129, 4096, 4097, 10001, 3, 300, 5000, 64, 65, 8193, 2, 1000, 777, 4095, 33];

/** As train-plan.ts builds it: acc = sumsq(g0) + sumsq(g1) + ..., scalars in two reused slots. */
function gradNorm(): { tensors: Record<string, TensorDecl>; launches: LaunchDecl[] } {
  const tensors: Record<string, TensorDecl> = {
    acc: { shape: [1] },
    s0: { shape: [1] },
    s1: { shape: [1] },
    loss: { shape: [1] },
    out: { shape: [1] },
  };
  const launches: LaunchDecl[] = [];
  SIZES.forEach((n, k) => {
    tensors[`g${k}`] = { shape: [n], std: 0.1 + k / 10 };
    const slot = k % 2 === 0 ? 's0' : 's1';
    launches.push(L(k === 5 ? 'sum_all' : 'sumsq', [`g${k}`], k === 0 ? 'acc' : slot));
    if (k > 0) launches.push(L('add', ['acc', slot], 'acc'));
  });
  launches.push(L('scale', ['acc'], 'out', { s: 0.5 }));
  launches.push(L('unary', ['out'], 'out', { fn: 'log_sigmoid' }));
  launches.push(L('sub', ['out', 'loss'], 'loss'));
  return { tensors, launches };
}

describe('scalar runs: many whole-tensor sums and scalar ops in a few dispatches', () => {
  for (const variant of ['fused', 'fused-workgroup'] as const) {
    it(`matches the CPU on every scalar, observed or not (${variant})`, async () => {
      const { tensors, launches } = gradNorm();
      const { plain, fused } = await checkFusion(backend('plain'), backend(variant), tensors, launches, {
        abs: 1e-5,
        rel: 2e-5,
      });
      expect(plain.dispatches).toBeGreaterThanOrEqual(launches.length);
      // 17 sources over at most 11 per dispatch: 2 partial kernels, then one-thread replays.
      expect(fused.dispatches).toBeLessThanOrEqual(5);
      expect(fused.fusedLaunches).toBeGreaterThan(launches.length - 5);
    });
  }

  it('ends a run before a sum whose source an earlier launch of the run wrote (the reward-margin metric)', async () => {
    const tensors: Record<string, TensorDecl> = {
      chosen: { shape: [1] },
      rejected: { shape: [1] },
      sc: { shape: [1] },
      sr: { shape: [1] },
      margin: { shape: [1], data: Float32Array.of(123) },
      sm: { shape: [1] },
    };
    const launches = [
      L('sum_all', ['chosen'], 'sc'),
      L('sum_all', ['rejected'], 'sr'),
      L('sub', ['chosen', 'rejected'], 'margin'),
      L('sum_all', ['margin'], 'sm'),
    ];
    await checkFusion(backend('plain'), backend('fused'), tensors, launches);
  });

  it('leaves a run alone when one of its launches overwrites a source it sums', async () => {
    const tensors: Record<string, TensorDecl> = { a: { shape: [50] }, b: { shape: [1] }, c: { shape: [1] } };
    const launches = [
      L('sumsq', ['a'], 'b'),
      L('sumsq', [{ name: 'a', shape: [1] }], 'c'),
      L('scale', ['b'], { name: 'a', shape: [1] }, { s: 2 }),
    ];
    const { fused } = await checkFusion(backend('plain'), backend('fused'), tensors, launches);
    expect(fused.values.get('a')?.[0]).toBeCloseTo((fused.values.get('b')?.[0] as number) * 2, 4);
  });
});
