/**
 * The tiled matmul's tile shapes (src/engine/backends/webgpu/kernels/matmul-tiles.ts) and the
 * per-adapter autotune that picks one (matmul-autotune.ts). Every shape is checked against the CPU
 * backend on odd shapes (transposes, batches, a shared 2-D right operand, sizes that are not
 * multiples of any tile) and must be bit-identical to the others; the autotune must time each
 * candidate once and then answer from its cache. Speeds are not asserted (software adapter here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import {
  autotuneMatmul,
  MATMUL_TILE_NAMES,
  type MatmulTileName,
  type WebGPUBackend,
} from '../../src/engine/backends/webgpu/index.ts';
import type { Shape } from '../../src/engine/ops.ts';
import { L, runList, type TensorDecl } from './fusion-harness.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';

const backends = new Map<MatmulTileName, WebGPUBackend>();
beforeAll(async () => {
  for (const t of MATMUL_TILE_NAMES) backends.set(t, await makeGpuBackend({ matmul: 'tiled', matmulTile: t }));
});
afterAll(() => {
  for (const b of backends.values()) b.dispose();
});

interface Case {
  name: string;
  a: Shape;
  b: Shape;
  out: Shape;
  transA: boolean;
  transB: boolean;
}

const CASES: Case[] = [
  { name: 'plain 37x19 @ 19x70', a: [37, 19], b: [19, 70], out: [37, 70], transA: false, transB: false },
  { name: 'transB, batched', a: [3, 5, 17], b: [3, 66, 17], out: [3, 5, 66], transA: false, transB: true },
  { name: 'transA 2-D', a: [21, 130], b: [21, 9], out: [130, 9], transA: true, transB: false },
  { name: 'both transposed, batched', a: [2, 23, 7], b: [2, 11, 23], out: [2, 7, 11], transA: true, transB: true },
  {
    name: 'shared 2-D b, rows past a 128 tile',
    a: [2, 67, 33],
    b: [33, 129],
    out: [2, 67, 129],
    transA: false,
    transB: false,
  },
];

async function product(backend: WebGPUBackend | CpuBackend, c: Case): Promise<Float32Array> {
  const t: Record<string, TensorDecl> = { a: { shape: c.a }, b: { shape: c.b }, out: { shape: c.out } };
  const r = await runList(backend, t, [L('matmul', ['a', 'b'], 'out', { transA: c.transA, transB: c.transB })], 7);
  return r.values.get('out') as Float32Array;
}

describe('tiled matmul tile shapes', () => {
  for (const c of CASES) {
    it(`every shape matches the CPU and the others bit for bit: ${c.name}`, async () => {
      const want = await product(new CpuBackend(), c);
      let first: Float32Array | undefined;
      for (const [tile, backend] of backends) {
        const got = await product(backend, c);
        for (let i = 0; i < want.length; i++) {
          expect(Math.abs(got[i] - want[i]), `${tile} [${i}]`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(want[i]));
        }
        first ??= got;
        expect(Array.from(got), tile).toEqual(Array.from(first));
      }
    });
  }
});

describe('matmul autotune', () => {
  it('times every candidate once, picks the fastest, and answers from its per-adapter cache after', async () => {
    const backend = backends.get('64x64') as WebGPUBackend;
    const first = await autotuneMatmul(backend, { size: 40, repeats: 1, force: true });
    expect(first.cached).toBe(false);
    expect(Object.keys(first.msPerRun).sort()).toEqual([...MATMUL_TILE_NAMES].sort());
    const times = Object.values(first.msPerRun) as number[];
    expect(first.msPerRun[first.choice]).toBe(Math.min(...times));
    expect(backend.matmulTile).toBe(first.choice);

    const again = await autotuneMatmul(backend);
    expect(again).toEqual({ choice: first.choice, msPerRun: {}, cached: true });
    // A new backend on the same adapter starts from the tuned shape; a forced shape wins over it.
    const fresh = await makeGpuBackend({ matmul: 'tiled' });
    const forced = await makeGpuBackend({ matmul: 'tiled', matmulTile: '128x64' });
    try {
      expect(fresh.matmulTile).toBe(first.choice);
      expect(forced.matmulTile).toBe('128x64');
    } finally {
      fresh.dispose();
      forced.dispose();
    }
  });
});
