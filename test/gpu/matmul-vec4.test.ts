/**
 * The tiled matmul's vec4 loads (the '-v4' tile shapes, kernels/matmul-tiles.ts): on shapes where
 * an operand's contiguous dimension is a multiple of 4 it is staged with vec4 loads, elsewhere
 * with scalar ones. Either way the result must be bit-identical to the scalar 64x64 kernel (same
 * values in the same workgroup-memory cells, same fmas) and close to the CPU backend. The generated
 * WGSL is checked too, so a case meant to take the vec4 path cannot silently fall back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Launch } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { MatmulTileName, WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import type { KernelContext } from '../../src/engine/backends/webgpu/kernels/types.ts';
import { matmulKernel } from '../../src/engine/ops/matmul/wgsl.ts';
import { numel, type Shape } from '../../src/engine/ops.ts';
import { L, runList, type TensorDecl } from './fusion-harness.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';

const TILES: MatmulTileName[] = ['64x64', '64x64-v4', '128x64-v4', '64x128-v4', '128x128-v4'];
const backends = new Map<MatmulTileName, WebGPUBackend>();
beforeAll(async () => {
  for (const t of TILES) backends.set(t, await makeGpuBackend({ matmul: 'tiled', matmulTile: t, fusion: false }));
});
afterAll(() => {
  for (const b of backends.values()) b.dispose();
});

interface Case {
  name: string;
  a: Shape;
  b: Shape;
  transA: boolean;
  transB: boolean;
  /** Which operands take vec4 loads. */
  vec: { a: boolean; b: boolean };
}

const out = (c: Case): Shape => {
  const M = c.transA ? c.a[c.a.length - 1] : c.a[c.a.length - 2];
  const N = c.transB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  return [...c.a.slice(0, -2), M, N];
};

const CASES: Case[] = [
  // Aligned contiguous dimensions, M and N not multiples of any tile, K not a multiple of 16.
  { name: 'plain', a: [68, 36], b: [36, 72], transA: false, transB: false, vec: { a: true, b: true } },
  { name: 'transA', a: [36, 68], b: [36, 72], transA: true, transB: false, vec: { a: true, b: true } },
  { name: 'transB, batched', a: [3, 68, 36], b: [3, 140, 36], transA: false, transB: true, vec: { a: true, b: true } },
  {
    name: 'both transposed, batched',
    a: [2, 20, 132],
    b: [2, 20, 20],
    transA: true,
    transB: true,
    vec: { a: true, b: true },
  },
  { name: 'shared 2-D b', a: [3, 23, 44], b: [44, 84], transA: false, transB: false, vec: { a: true, b: true } },
  // Only one operand aligned, then neither.
  { name: 'K aligned, N odd', a: [37, 20], b: [20, 70], transA: false, transB: false, vec: { a: true, b: false } },
  {
    name: 'M odd (transA), N aligned',
    a: [20, 37],
    b: [20, 76],
    transA: true,
    transB: false,
    vec: { a: false, b: true },
  },
  { name: 'nothing aligned', a: [2, 37, 19], b: [2, 70, 19], transA: false, transB: true, vec: { a: false, b: false } },
];

async function product(backend: WebGPUBackend | CpuBackend, c: Case): Promise<Float32Array> {
  const t: Record<string, TensorDecl> = { a: { shape: c.a }, b: { shape: c.b }, out: { shape: out(c) } };
  const r = await runList(backend, t, [L('matmul', ['a', 'b'], 'out', { transA: c.transA, transB: c.transB })], 5);
  return r.values.get('out') as Float32Array;
}

/** The WGSL the '-v4' kernel generates for the case (context from the backend, nothing dispatched). */
function wgslFor(backend: WebGPUBackend, c: Case): string {
  const view = (shape: Shape) => ({ tensor: backend.alloc(numel(shape), 'f32'), shape, dtype: 'f32' as const });
  const launch: Launch<'matmul'> = {
    op: 'matmul',
    attrs: { transA: c.transA, transB: c.transB },
    inputs: [view(c.a), view(c.b)],
    output: view(out(c)),
  };
  const ctx = {
    layout: backend.layout,
    limits: backend.limits,
    matmul: 'tiled',
    rows: 'workgroup',
    matmulTile: '64x64-v4',
  } as unknown as KernelContext;
  const specs = matmulKernel(launch, ctx);
  for (const v of [...launch.inputs, launch.output]) backend.free(v.tensor);
  return specs.map((s) => s.wgsl).join('\n');
}

describe('vec4 loads in the tiled matmul', () => {
  for (const c of CASES) {
    it(`${c.name}: vec4 where legal, bit-identical to the scalar kernel, close to the CPU`, async () => {
      const wgsl = wgslFor(backends.get('64x64-v4') as WebGPUBackend, c);
      expect(wgsl.includes('ld4_a('), 'a loaded as vec4').toBe(c.vec.a);
      expect(wgsl.includes('ld4_b('), 'b loaded as vec4').toBe(c.vec.b);
      const want = await product(new CpuBackend(), c);
      const scalar = await product(backends.get('64x64') as WebGPUBackend, c);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(scalar[i] - want[i]), `scalar [${i}]`).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(want[i]));
      }
      for (const t of TILES.slice(1)) {
        const got = await product(backends.get(t) as WebGPUBackend, c);
        const at = got.findIndex((x, i) => !Object.is(x, scalar[i]));
        expect(at, `${t} [${at}]: ${got[at]} vs scalar ${scalar[at]}`).toBe(-1);
      }
    });
  }
});
