/**
 * The tiled matmul's tile shapes (src/engine/backends/webgpu/kernels/matmul-tiles.ts) and the
 * per-adapter autotune that picks one (matmul-autotune.ts). Every shape is checked against the CPU
 * backend on odd shapes (transposes, batches, a shared 2-D right operand, sizes that are not
 * multiples of any tile) and must be bit-identical to the others; the autotune must time each
 * candidate once and then answer from its cache. The same autotune times the skinny matmul with
 * subgroup shuffles against plain loads (SwiftShader has subgroups), caches that choice with the
 * shape, reports it, and leaves an explicit `subgroups` option alone; the skinny kernel compiles
 * with `enable subgroups;` exactly when they are used, with identical results either way. Speeds
 * are not asserted (software adapter here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import {
  autotuneMatmul,
  MATMUL_TILE_NAMES,
  type MatmulTileName,
  type WebGPUBackend,
} from '../../src/engine/backends/webgpu/index.ts';
import { tunedSubgroups } from '../../src/engine/backends/webgpu/matmul-autotune.ts';
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

/** Small skinny products for the subgroup timing here (both layouts: few rows, few columns). */
const SMALL_SKINNY = [
  { M: 4, K: 40, N: 64 },
  { M: 128, K: 40, N: 4, transB: true },
];

describe('matmul autotune', () => {
  it('times every candidate once, picks the fastest, and answers from its per-adapter cache after', async () => {
    const backend = backends.get('64x64') as WebGPUBackend;
    const first = await autotuneMatmul(backend, { size: 40, repeats: 1, force: true, subgroupShapes: SMALL_SKINNY });
    expect(first.cached).toBe(false);
    expect(Object.keys(first.msPerRun).sort()).toEqual([...MATMUL_TILE_NAMES].sort());
    const times = Object.values(first.msPerRun) as number[];
    expect(first.msPerRun[first.choice]).toBe(Math.min(...times));
    expect(backend.matmulTile).toBe(first.choice);

    const again = await autotuneMatmul(backend);
    expect(again).toEqual({
      choice: first.choice,
      msPerRun: {},
      subgroups: { ...first.subgroups, how: 'cached' },
      cached: true,
    });
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

/** The WGSL of every shader module `backend` creates while `run` runs. */
async function modulesCompiled(backend: WebGPUBackend, run: () => Promise<unknown>): Promise<string[]> {
  const device = backend.device;
  const codes: string[] = [];
  const original = device.createShaderModule.bind(device);
  device.createShaderModule = (desc: GPUShaderModuleDescriptor) => {
    codes.push(desc.code);
    return original(desc);
  };
  try {
    await run();
  } finally {
    device.createShaderModule = original;
  }
  return codes;
}

/** A decode-like product (skinny, few rows) not timed by the autotune, so its modules are new. */
const DECODE: Case = {
  name: 'decode 3x29 @ 29x100',
  a: [3, 29],
  b: [29, 100],
  out: [3, 100],
  transA: false,
  transB: false,
};
/** A LoRA-down-like product (skinny, few columns, b stored transposed). */
const LORA: Case = { name: 'lora 90x21 @ 3x21^T', a: [90, 21], b: [3, 21], out: [90, 3], transA: false, transB: true };

describe('subgroup choice in the autotune (SwiftShader has subgroups of size 4)', () => {
  it('times the skinny matmul with shuffles and with plain loads, keeps the faster, and reports why', async () => {
    const backend = await makeGpuBackend({ matmul: 'tiled', matmulTile: '64x64' });
    try {
      expect(backend.tunableSubgroupSize).toBe(backend.report?.adapter.subgroupMaxSize);
      const r = await autotuneMatmul(backend, { tiles: false, repeats: 1, force: true, subgroupShapes: SMALL_SKINNY });
      expect(r.msPerRun).toEqual({});
      expect(r.cached).toBe(false);
      expect(backend.matmulTile).toBe('64x64');
      const t = r.subgroups.timings;
      expect(r.subgroups.how).toBe('timed');
      expect(t && t.msShuffles > 0 && t.msPlainLoads > 0).toBe(true);
      expect(r.subgroups.use).toBe((t?.msShuffles ?? 0) < (t?.msPlainLoads ?? 0));
      expect(backend.subgroupSize).toBe(r.subgroups.use ? backend.tunableSubgroupSize : undefined);
      expect(backend.report?.subgroupKernels).toBe(r.subgroups.use);
      expect(backend.report?.subgroupKernelsWhy).toMatch(
        /^timed on this adapter: .* ms with shuffles, .* ms with plain loads$/,
      );

      // Cached per adapter: the next call times nothing, and a new backend (its report too) starts from it.
      const again = await autotuneMatmul(backend, { tiles: false });
      expect(again.subgroups).toEqual({ ...r.subgroups, how: 'cached' });
      expect(again.cached).toBe(true);
      const fresh = await makeGpuBackend({ matmul: 'tiled' });
      try {
        expect(fresh.subgroupSize).toBe(backend.subgroupSize);
        expect(tunedSubgroups(fresh.report)).toEqual(t);
        // Its report describes this adapter's default backend, the register family of CPU
        // adapters, whose subgroup use is a rule and never timed.
        expect(fresh.report?.subgroupKernels).toBe(false);
        expect(fresh.report?.subgroupKernelsWhy).toMatch(/^CPU adapter/);
        // The skinny kernel compiles with `enable subgroups;` exactly when they were chosen.
        const modules = await modulesCompiled(fresh, () => product(fresh, DECODE));
        expect(modules.some((m) => m.includes('// skinny matmul'))).toBe(true);
        expect(modules.some((m) => m.startsWith('enable subgroups;') && m.includes('subgroupShuffle('))).toBe(
          r.subgroups.use,
        );
      } finally {
        fresh.dispose();
      }
    } finally {
      backend.dispose();
    }
  });

  it('an explicit subgroups option wins: nothing timed, kernels compiled as forced, results identical', async () => {
    const on = await makeGpuBackend({ matmul: 'tiled', matmulTile: '64x64', subgroups: true });
    const off = await makeGpuBackend({ matmul: 'tiled', matmulTile: '64x64', subgroups: false });
    const tuned = await makeGpuBackend({ matmul: 'tiled', matmulTile: '64x64' });
    try {
      for (const [backend, use] of [
        [on, true],
        [off, false],
      ] as const) {
        expect(backend.tunableSubgroupSize).toBeUndefined();
        const r = await autotuneMatmul(backend, {
          tiles: false,
          repeats: 1,
          force: true,
          subgroupShapes: SMALL_SKINNY,
        });
        expect(r.subgroups).toEqual({ use, how: 'fixed' });
        expect(r.cached).toBe(true);
        expect(backend.subgroupSize).toBe(use ? backend.report?.adapter.subgroupMaxSize : undefined);
        const modules = await modulesCompiled(backend, () => product(backend, LORA));
        expect(modules.some((m) => m.includes('// skinny matmul'))).toBe(true);
        expect(modules.some((m) => m.startsWith('enable subgroups;') && m.includes('subgroupShuffle('))).toBe(use);
      }
      // Whatever the timing chose, every skinny product is bit-identical to both forced runs.
      await autotuneMatmul(tuned, { tiles: false, repeats: 1, force: true, subgroupShapes: SMALL_SKINNY });
      for (const c of [DECODE, LORA]) {
        const got = Array.from(await product(tuned, c));
        expect(got, c.name).toEqual(Array.from(await product(on, c)));
        expect(got, c.name).toEqual(Array.from(await product(off, c)));
      }
    } finally {
      for (const b of [on, off, tuned]) b.dispose();
    }
  });
});
