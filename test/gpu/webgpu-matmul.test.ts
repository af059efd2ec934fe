/**
 * Matmul on both kernel families (shared-memory tiles and register blocks) against the CPU
 * backend: odd sizes that are multiples of no tile, all transpose combinations, batches, a shared
 * 2-D right operand, and shapes spanning several tiles.
 */
import { describe, it } from 'vitest';
import type { MatmulVariant } from '../../src/engine/backends/webgpu/index.ts';
import { checkAgainstCpu, gpuBackendPerVariant, Rng, randn } from './webgpu-helpers.ts';

const variants: MatmulVariant[] = ['register', 'tiled'];
const backendFor = gpuBackendPerVariant(variants, (matmul) => ({ matmul }));

const rng = new Rng(17);

/** a's and b's shapes for out [...batch, M, N] with inner K, honouring the transposes. */
function shapes(batch: number[], M: number, K: number, N: number, tA: boolean, tB: boolean, sharedB: boolean) {
  const a = [...batch, ...(tA ? [K, M] : [M, K])];
  const b = [...(sharedB ? [] : batch), ...(tB ? [N, K] : [K, N])];
  return { a, b, out: [...batch, M, N] };
}

const tol = (K: number) => ({ rtol: 1e-4, atol: 1e-5 * Math.sqrt(K) });

interface MatmulCase {
  batch: readonly number[];
  M: number;
  K: number;
  N: number;
  tA?: boolean;
  tB?: boolean;
  /** b is 2-D, shared by every batch. */
  sharedB?: boolean;
}

async function checkMatmul(variant: MatmulVariant, c: MatmulCase): Promise<void> {
  const { tA = false, tB = false } = c;
  const s = shapes([...c.batch], c.M, c.K, c.N, tA, tB, c.sharedB ?? false);
  await checkAgainstCpu(
    backendFor(variant),
    { op: 'matmul', attrs: { transA: tA, transB: tB }, inputs: [randn(rng, s.a), randn(rng, s.b)], out: s.out },
    tol(c.K),
    `matmul ${variant} [${s.a}]x[${s.b}] transA ${tA} transB ${tB}`,
  );
}

for (const variant of variants) {
  describe(`matmul (${variant})`, () => {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        it(`37x53x29 and batched [3,17,13]x[3,13,11], transA ${tA}, transB ${tB}`, async () => {
          await checkMatmul(variant, { batch: [], M: 37, K: 53, N: 29, tA, tB });
          await checkMatmul(variant, { batch: [3], M: 17, K: 13, N: 11, tA, tB });
        });
      }
    }
    for (const tB of [false, true]) {
      it(`shared 2-D b: [2,3,5,7] x [7,9], transB ${tB}`, async () => {
        await checkMatmul(variant, { batch: [2, 3], M: 5, K: 7, N: 9, tB, sharedB: true });
      });
    }
    it('several tiles in every direction: [2, 70, 33] x [2, 33, 131], and 1x1x1', async () => {
      await checkMatmul(variant, { batch: [2], M: 70, K: 33, N: 131 });
      await checkMatmul(variant, { batch: [], M: 1, K: 1, N: 1 });
    });
  });
}
