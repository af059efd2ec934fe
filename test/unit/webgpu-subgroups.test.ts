/**
 * When the WebGPU kernels use subgroups, and the skinny matmul's plan for a product (pure logic, no
 * device): by default only GPUs with the feature use subgroups, `subgroups: true` requires the
 * feature, workgroups then hold only full subgroups, and only thin products take the skinny kernel.
 */
import { describe, expect, it } from 'vitest';
import {
  SKINNY_MAX_SHORT_SIDE,
  SKINNY_MIN_ASPECT,
  skinnyPlan,
  skinnyWorkgroups,
} from '../../src/engine/backends/webgpu/kernels/matmul-skinny.ts';
import type { KernelContext, MatmulVariant } from '../../src/engine/backends/webgpu/kernels/types.ts';
import {
  describeSubgroupUse,
  kernelSubgroupSize,
  subgroupsByDefault,
  tunableSubgroupSize,
} from '../../src/engine/backends/webgpu/subgroups.ts';

const device = (features: string[], subgroupMaxSize?: number) =>
  ({ features: new Set(features), adapterInfo: { subgroupMaxSize } }) as unknown as GPUDevice;

describe('kernelSubgroupSize', () => {
  it('uses subgroups by default on GPUs with the feature, at the adapter’s largest size', () => {
    expect(kernelSubgroupSize(device(['subgroups'], 32), {}, 'tiled')).toBe(32);
    expect(kernelSubgroupSize(device([], 32), {}, 'tiled')).toBeUndefined();
    // CPU adapters: measured slower with shuffles, so only when asked.
    expect(kernelSubgroupSize(device(['subgroups'], 4), {}, 'register')).toBeUndefined();
    expect(kernelSubgroupSize(device(['subgroups'], 4), { subgroups: true }, 'register')).toBe(4);
    expect(kernelSubgroupSize(device(['subgroups'], 32), { subgroups: false }, 'tiled')).toBeUndefined();
    expect(subgroupsByDefault(true, 'tiled')).toBe(true);
    expect(subgroupsByDefault(true, 'register')).toBe(false);
  });
  it('assumes the largest WebGPU subgroup size (128) when the adapter does not say', () => {
    expect(kernelSubgroupSize(device(['subgroups']), {}, 'tiled')).toBe(128);
  });
  it('says how to fix `subgroups: true` on a device without the feature', () => {
    expect(() => kernelSubgroupSize(device([]), { subgroups: true }, 'tiled')).toThrow(/Leave subgroups unset/);
  });
});

describe('the timed subgroup choice (matmul-autotune.ts)', () => {
  const gpu = device(['subgroups'], 32);
  it('decides on GPUs unless the option does; never on CPU adapters or without the feature', () => {
    expect(kernelSubgroupSize(gpu, {}, 'tiled', false)).toBeUndefined();
    expect(kernelSubgroupSize(gpu, {}, 'tiled', true)).toBe(32);
    expect(kernelSubgroupSize(gpu, { subgroups: true }, 'tiled', false)).toBe(32);
    expect(kernelSubgroupSize(gpu, { subgroups: false }, 'tiled', true)).toBeUndefined();
    expect(kernelSubgroupSize(device(['subgroups'], 4), {}, 'register', true)).toBeUndefined();
    expect(kernelSubgroupSize(device([], 32), {}, 'tiled', true)).toBeUndefined();
  });
  it('is the autotune’s to time only for GPUs with the feature, the skinny kernel on, no option, whole subgroups', () => {
    expect(tunableSubgroupSize(gpu, {}, 'tiled', 256)).toBe(32);
    expect(tunableSubgroupSize(gpu, { subgroups: true }, 'tiled', 256)).toBeUndefined();
    expect(tunableSubgroupSize(gpu, { subgroups: false }, 'tiled', 256)).toBeUndefined();
    expect(tunableSubgroupSize(gpu, { skinnyMatmul: false }, 'tiled', 256)).toBeUndefined();
    expect(tunableSubgroupSize(gpu, {}, 'register', 256)).toBeUndefined();
    expect(tunableSubgroupSize(device([], 32), {}, 'tiled', 256)).toBeUndefined();
    expect(tunableSubgroupSize(gpu, {}, 'tiled', 16)).toBeUndefined();
  });
  it('the capability report says what was chosen and why', () => {
    expect(describeSubgroupUse(false, 'tiled', undefined)).toEqual({
      subgroupKernels: false,
      subgroupKernelsWhy: 'the adapter has no subgroups',
    });
    expect(describeSubgroupUse(true, 'register', undefined).subgroupKernels).toBe(false);
    expect(describeSubgroupUse(true, 'tiled', undefined)).toMatchObject({
      subgroupKernels: true,
      subgroupKernelsWhy: expect.stringMatching(/not timed yet/),
    });
    const timed = { use: false, msShuffles: 0.0512, msPlainLoads: 0.0431 };
    expect(describeSubgroupUse(true, 'tiled', timed)).toEqual({
      subgroupKernels: false,
      subgroupKernelsWhy:
        'timed on this adapter: skinny matmuls took 0.0512 ms with shuffles, 0.0431 ms with plain loads',
    });
  });
});

describe('skinnyPlan (the skinny kernel’s plan)', () => {
  const ctx = (matmul: MatmulVariant, subgroupMax?: number, maxThreads = 256) =>
    ({
      matmul,
      limits: { maxThreads },
      subgroups: subgroupMax === undefined ? undefined : { maxSize: subgroupMax },
    }) as KernelContext;
  const dims = (M: number, N: number, batch = 1) => ({ batch, M, N, K: 100 });

  it('takes only products whose short side is within the family’s limit, and never when turned off', () => {
    for (const family of ['register', 'tiled'] as const) {
      const max = SKINNY_MAX_SHORT_SIDE[family];
      expect(skinnyPlan(dims(max, 5000), ctx(family))?.side).toBe('M');
      expect(skinnyPlan(dims(5000, max), ctx(family))?.side).toBe('N');
      expect(skinnyPlan(dims(max + 1, 5000), ctx(family))).toBeUndefined();
    }
    expect(skinnyPlan(dims(1, 5000), { ...ctx('tiled'), skinnyMatmul: false })).toBeUndefined();
    // Near-square products stay on the tiles: the long side must be SKINNY_MIN_ASPECT times the short.
    expect(skinnyPlan(dims(8, 8 * SKINNY_MIN_ASPECT), ctx('register'))?.side).toBe('M');
    expect(skinnyPlan(dims(8, 8 * SKINNY_MIN_ASPECT - 1), ctx('register'))).toBeUndefined();
    expect(skinnyPlan(dims(64, 64), ctx('register'))).toBeUndefined();
  });
  it('with subgroups, workgroups of maxThreads (whole subgroups); without, 64 threads', () => {
    expect(skinnyPlan(dims(3, 5000), ctx('tiled', 32))).toMatchObject({ subgroups: true, threads: 256, block: 4 });
    expect(skinnyPlan(dims(3, 5000), ctx('tiled'))).toMatchObject({ subgroups: false, threads: 64 });
    // A subgroup larger than a workgroup may be: plain loads.
    expect(skinnyPlan(dims(3, 5000), ctx('tiled', 128, 64))).toMatchObject({ subgroups: false, threads: 64 });
  });
  it('covers every output: long side in threads x per, short side in blocks, batches in z', () => {
    const plan = skinnyPlan(dims(40, 1000, 3), ctx('register'));
    expect(plan).toMatchObject({ side: 'M', block: 16, per: 4, threads: 64 });
    expect(skinnyWorkgroups(dims(40, 1000, 3), plan as NonNullable<typeof plan>)).toEqual([4, 3, 3]);
    const thin = skinnyPlan(dims(1000, 3), ctx('tiled'));
    expect(skinnyWorkgroups(dims(1000, 3), thin as NonNullable<typeof thin>)).toEqual([1, 16, 1]);
    // A long side shorter than 64 threads x 4 gets one output per thread.
    expect(skinnyPlan(dims(2, 200), ctx('register'))).toMatchObject({ block: 2, per: 1 });
  });
});
