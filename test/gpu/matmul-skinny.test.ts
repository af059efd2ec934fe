/**
 * The skinny matmul (kernels/matmul-skinny.ts) on SwiftShader, which has 'subgroups' (size 4):
 * with subgroup shuffles and with plain loads, in its CPU-adapter (4 outputs per thread, short
 * sides up to 64) and GPU (1 per thread, up to 16) layouts. Every product must be bit-identical to the tiled kernel (fixed 64x64
 * tile) and the register kernel with the skinny kernel turned off, since all kernels accumulate
 * over k in the same order, and close to the CPU backend.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackendOptions } from '../../src/engine/backends/webgpu/index.ts';
import { SKINNY_MAX_SHORT_SIDE, SKINNY_MIN_ASPECT } from '../../src/engine/backends/webgpu/kernels/matmul-skinny.ts';
import { expectClose, gpuBackendPerVariant, type OpCase, Rng, randn, runCase } from './webgpu-helpers.ts';

const VARIANTS = {
  'skinny, subgroups, CPU-adapter layout': { matmul: 'register', subgroups: true },
  'skinny, plain loads, CPU-adapter layout': { matmul: 'register' },
  'skinny, subgroups, GPU layout': { matmul: 'tiled', matmulTile: '64x64' },
  'skinny, plain loads, GPU layout': { matmul: 'tiled', matmulTile: '64x64', subgroups: false },
  'tiled 64x64 (reference)': { matmul: 'tiled', matmulTile: '64x64', skinnyMatmul: false },
  'register (reference)': { matmul: 'register', skinnyMatmul: false },
} satisfies Record<string, WebGPUBackendOptions>;
type Variant = keyof typeof VARIANTS;
const names = Object.keys(VARIANTS) as Variant[];
const backendFor = gpuBackendPerVariant(names, (v) => VARIANTS[v]);
const cpu = new CpuBackend();
const rng = new Rng(29);

interface Case {
  batch?: readonly number[];
  M: number;
  K: number;
  N: number;
  tA?: boolean;
  tB?: boolean;
  /** b is 2-D, shared by every batch (a's batch folds into its rows). */
  sharedB?: boolean;
}

function opCase(c: Case): OpCase<'matmul'> {
  const { batch = [], M, K, N, tA = false, tB = false } = c;
  const a = [...batch, ...(tA ? [K, M] : [M, K])];
  const b = [...(c.sharedB ? [] : batch), ...(tB ? [N, K] : [K, N])];
  return {
    op: 'matmul',
    attrs: { transA: tA, transB: tB },
    inputs: [randn(rng, a), randn(rng, b)],
    out: [...batch, M, N],
    // A stale value where the kernel failed to store shows up as a mismatch.
    outFill: Number.NaN,
  };
}

/** Runs the case on every variant: all bit-identical, and close to the CPU backend. */
async function check(c: Case): Promise<void> {
  const oc = opCase(c);
  const label = `[${oc.inputs[0].shape}] x [${oc.inputs[1].shape}] transA ${!!c.tA} transB ${!!c.tB}`;
  const [want] = await runCase(cpu, oc);
  const [reference] = await runCase(backendFor('tiled 64x64 (reference)'), oc);
  expectClose(reference, want, { rtol: 1e-4, atol: 1e-5 * Math.sqrt(c.K) }, `${label} tiled vs CPU`);
  for (const v of names) {
    const [got] = await runCase(backendFor(v), oc);
    const bits = new Uint32Array(Float32Array.from(got).buffer);
    const refBits = new Uint32Array(Float32Array.from(reference).buffer);
    const first = bits.findIndex((x, i) => x !== refBits[i]);
    expect(first, `${label} ${v}: element ${first} = ${got[first]}, tiled gives ${reference[first]}`).toBe(-1);
  }
}

describe('skinny matmul: few rows (decode steps, LoRA weight gradients with one side r)', () => {
  it('M = 1, 3, 7, 8 with N over several workgroups and K not a multiple of 4 or of the subgroup size', async () => {
    for (const M of [1, 3, 7, 8]) await check({ M, K: 37, N: 301 });
    await check({ M: 3, K: 6, N: 2100 });
  });
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      it(`transA ${tA}, transB ${tB}: [2, 5, 19] x [2, 19, 70] batched and 1x1x1`, async () => {
        await check({ batch: [2], M: 5, K: 19, N: 70, tA, tB });
        await check({ M: 1, K: 1, N: 1, tA, tB });
      });
    }
  }
  it('a decode step: [3, 1, 33] tokens x shared 2-D weights [33, 130] (batch folded into M = 3), both layouts', async () => {
    await check({ batch: [3], M: 1, K: 33, N: 130, sharedB: true });
    await check({ batch: [3], M: 1, K: 33, N: 130, tB: true, sharedB: true });
  });
  it('decode attention: [2, 3, 1, 6] x [2, 3, 6, 11] and K = 2 (less than one subgroup)', async () => {
    await check({ batch: [2, 3], M: 1, K: 6, N: 11, tB: true });
    await check({ batch: [2, 3], M: 1, K: 2, N: 11 });
  });
});

describe('skinny matmul: few columns (LoRA down-projection x·A^T, its input gradient and dB)', () => {
  it('N = 1, 3, 7, 8 with M over several workgroups', async () => {
    for (const N of [1, 3, 7, 8]) await check({ M: 517, K: 23, N });
    await check({ M: 2100, K: 5, N: 3 });
  });
  it('x·A^T with a shared rank-4 A: [2, 20, 13] x [4, 13]^T, and the gradient dB = G^T·u ([17, 40]^T x [17, 4])', async () => {
    await check({ batch: [2], M: 20, K: 13, N: 4, tB: true, sharedB: true });
    await check({ M: 40, K: 17, N: 4, tA: true });
  });
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      it(`transA ${tA}, transB ${tB}: batched [3, 41, 10] x [3, 10, 2]`, async () => {
        await check({ batch: [3], M: 41, K: 10, N: 2, tA, tB });
      });
    }
  }
});

describe('skinny matmul: short sides in several blocks of 16 (CPU-adapter layout; tiles on the GPU layout)', () => {
  it('M = 17 and 64, N = 33 and 50, transposed and not', async () => {
    await check({ M: 17, K: 29, N: 150 });
    await check({ M: 64, K: 5, N: 520, tA: true });
    await check({ M: 300, K: 9, N: 33, tB: true });
    await check({ batch: [2], M: 420, K: 6, N: 50, tA: true, tB: true });
  });
});

describe('skinny matmul selection (its logic: test/unit/webgpu-subgroups.test.ts)', () => {
  const { register } = SKINNY_MAX_SHORT_SIDE;
  it(`short sides past ${register}, and near-square products, use the tiles on every variant, still identical`, async () => {
    await check({ M: register + 1, K: 21, N: 600 });
    await check({ M: 600, K: 21, N: register + 1 });
    await check({ batch: [3], M: 20, K: 21, N: 20 * SKINNY_MIN_ASPECT - 1 });
  });
  it('uses subgroups of the adapter size when asked on this adapter, compiled with `enable subgroups;`', async () => {
    const sg = backendFor('skinny, subgroups, CPU-adapter layout');
    expect(sg.report?.features.subgroups).toBe(true);
    expect(sg.subgroupSize).toBe(sg.report?.adapter.subgroupMaxSize);
    expect(backendFor('skinny, subgroups, GPU layout').subgroupSize).toBe(sg.report?.adapter.subgroupMaxSize);
    // By default only GPUs use them: the report says so, and so does the backend on this software adapter.
    expect(sg.report?.subgroupKernels).toBe(false);
    expect(backendFor('skinny, plain loads, CPU-adapter layout').subgroupSize).toBeUndefined();
    const fresh: Case = { M: 2, K: 9, N: 20, tA: true, tB: true };
    const modules = await shaderModulesOf('skinny, subgroups, CPU-adapter layout', fresh);
    expect(modules.some((m) => m.startsWith('enable subgroups;') && m.includes('subgroupShuffle('))).toBe(true);
    const plain = await shaderModulesOf('skinny, plain loads, CPU-adapter layout', fresh);
    expect(plain.some((m) => m.includes('// skinny matmul'))).toBe(true);
    expect(plain.some((m) => m.includes('subgroup'))).toBe(false);
  });
});
/**
 * The WGSL of the shader modules a product compiles on a variant's device; the case must be one
 * no other test runs on that variant (modules are cached per distinct WGSL).
 */
async function shaderModulesOf(v: Variant, c: Case): Promise<string[]> {
  const device = backendFor(v).device;
  const codes: string[] = [];
  const original = device.createShaderModule.bind(device);
  device.createShaderModule = (desc: GPUShaderModuleDescriptor) => {
    codes.push(desc.code);
    return original(desc);
  };
  try {
    await runCase(backendFor(v), opCase(c));
  } finally {
    device.createShaderModule = original;
  }
  return codes;
}
