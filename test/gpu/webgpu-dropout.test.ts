/**
 * The dropout kernel in WGSL against the CPU backend, bit for bit: the same elements dropped (the
 * mask is integer hashing in u32 on both), the same f32 values kept, on odd shapes, for several
 * seeds (negative ones too: the seed is bit-cast), salts and p.
 */
import { describe, it } from 'vitest';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { checkAgainstCpu, i32, Rng, randn, withGpuBackend } from './webgpu-helpers.ts';

let gpu: WebGPUBackend;
withGpuBackend((b) => {
  gpu = b;
});

const EXACT = { rtol: 0, atol: 0 };
const rng = new Rng(17);

describe('dropout', () => {
  for (const [seed, salt, p] of [
    [7, 0, 0.05],
    [-123456, 3, 0.3],
    [2 ** 31 - 1, 11, 0.5],
    [0, 0, 0],
  ]) {
    it(`seed ${seed}, salt ${salt}, p ${p}: same mask and values as the CPU`, async () => {
      for (const shape of [
        [3, 5, 7],
        [13, 257],
      ]) {
        await checkAgainstCpu(
          gpu,
          { op: 'dropout', attrs: { p, salt }, inputs: [randn(rng, shape), i32([1], [seed])], out: shape },
          EXACT,
          `dropout ${shape.join('x')}`,
        );
      }
    });
  }
});
