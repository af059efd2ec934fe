/**
 * Matmul on both kernel families (shared-memory tiles and register blocks) against the CPU
 * backend: odd sizes that are multiples of no tile, all transpose combinations, batches, a shared
 * 2-D right operand, and shapes spanning several tiles.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { MatmulVariant, WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { checkAgainstCpu, makeGpuBackend, Rng, randn } from './webgpu-helpers.ts';

const variants: MatmulVariant[] = ['register', 'tiled'];
const backends = new Map<MatmulVariant, WebGPUBackend>();
beforeAll(async () => {
  for (const v of variants) backends.set(v, await makeGpuBackend({ matmul: v }));
});
afterAll(() => {
  for (const b of backends.values()) b.dispose();
});

const rng = new Rng(17);

/** a's and b's shapes for out [...batch, M, N] with inner K, honouring the transposes. */
function shapes(batch: number[], M: number, K: number, N: number, tA: boolean, tB: boolean, sharedB: boolean) {
  const a = [...batch, ...(tA ? [K, M] : [M, K])];
  const b = [...(sharedB ? [] : batch), ...(tB ? [N, K] : [K, N])];
  return { a, b, out: [...batch, M, N] };
}

const tol = (K: number) => ({ rtol: 1e-4, atol: 1e-5 * Math.sqrt(K) });

for (const variant of variants) {
  describe(`matmul (${variant})`, () => {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        it(`37x53x29 and batched [3,17,13]x[3,13,11], transA ${tA}, transB ${tB}`, async () => {
          const gpu = backends.get(variant) as WebGPUBackend;
          for (const [batch, M, K, N] of [
            [[], 37, 53, 29],
            [[3], 17, 13, 11],
          ] as const) {
            const s = shapes([...batch], M, K, N, tA, tB, false);
            await checkAgainstCpu(
              gpu,
              {
                op: 'matmul',
                attrs: { transA: tA, transB: tB },
                inputs: [randn(rng, s.a), randn(rng, s.b)],
                out: s.out,
              },
              tol(K),
              `matmul ${variant} [${s.a}]x[${s.b}]`,
            );
          }
        });
      }
    }
    for (const tB of [false, true]) {
      it(`shared 2-D b: [2,3,5,7] x [7,9], transB ${tB}`, async () => {
        const gpu = backends.get(variant) as WebGPUBackend;
        const s = shapes([2, 3], 5, 7, 9, false, tB, true);
        await checkAgainstCpu(
          gpu,
          {
            op: 'matmul',
            attrs: { transA: false, transB: tB },
            inputs: [randn(rng, s.a), randn(rng, s.b)],
            out: s.out,
          },
          tol(7),
        );
      });
    }
    it('several tiles in every direction: [2, 70, 33] x [2, 33, 131], and 1x1x1', async () => {
      const gpu = backends.get(variant) as WebGPUBackend;
      for (const [batch, M, K, N] of [
        [[2], 70, 33, 131],
        [[], 1, 1, 1],
      ] as const) {
        const s = shapes([...batch], M, K, N, false, false, false);
        await checkAgainstCpu(
          gpu,
          {
            op: 'matmul',
            attrs: { transA: false, transB: false },
            inputs: [randn(rng, s.a), randn(rng, s.b)],
            out: s.out,
          },
          tol(K),
        );
      }
    });
  });
}
