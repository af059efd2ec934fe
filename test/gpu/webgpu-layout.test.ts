/** Data-movement kernels against the CPU backend. */
import { describe, it } from 'vitest';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { checkAgainstCpu, Rng, randn, TIGHT, withGpuBackend } from './webgpu-helpers.ts';

let gpu: WebGPUBackend;
withGpuBackend((b) => {
  gpu = b;
});

const rng = new Rng(13);

describe('permute', () => {
  const cases: { shape: number[]; perm: number[] }[] = [
    { shape: [5, 7], perm: [1, 0] },
    { shape: [2, 3, 5], perm: [2, 0, 1] },
    { shape: [2, 5, 3, 7], perm: [0, 2, 1, 3] },
    { shape: [2, 5, 3, 7], perm: [3, 1, 0, 2] },
    { shape: [3, 2, 5, 4], perm: [0, 1, 3, 2] },
  ];
  for (const { shape, perm } of cases) {
    it(`[${shape}] by (${perm})`, async () => {
      const out = perm.map((p) => shape[p]);
      await checkAgainstCpu(gpu, { op: 'permute', attrs: { perm }, inputs: [randn(rng, shape)], out }, TIGHT);
    });
  }
});

describe('slice_last and pad_last', () => {
  it('slice_last', async () => {
    await checkAgainstCpu(
      gpu,
      { op: 'slice_last', attrs: { start: 3, len: 5 }, inputs: [randn(rng, [3, 4, 11])], out: [3, 4, 5] },
      TIGHT,
    );
  });
  it('pad_last (also fills the padding when the output held data)', async () => {
    await checkAgainstCpu(
      gpu,
      { op: 'pad_last', attrs: { start: 3, total: 11 }, inputs: [randn(rng, [3, 4, 5])], out: [3, 4, 11], outFill: 7 },
      TIGHT,
    );
  });
});

describe('repeat_heads and sum_heads', () => {
  it('repeat_heads', async () => {
    await checkAgainstCpu(
      gpu,
      { op: 'repeat_heads', attrs: { rep: 3 }, inputs: [randn(rng, [2, 2, 5, 3])], out: [2, 6, 5, 3] },
      TIGHT,
    );
  });
  it('sum_heads', async () => {
    await checkAgainstCpu(
      gpu,
      { op: 'sum_heads', attrs: { rep: 3 }, inputs: [randn(rng, [2, 6, 5, 3])], out: [2, 2, 5, 3] },
      TIGHT,
    );
  });
});
