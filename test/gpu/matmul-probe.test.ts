/**
 * The probe matmul (src/engine/gpu-probe) on Dawn against an independent float64 reference, on
 * shapes that are odd, non-square and straddle the 8×8 tile edges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softwareAdapterName } from '../../src/engine/backends/auto-choice.ts';
import { type OrchardDevice, requestOrchardDevice } from '../../src/engine/backends/webgpu/device.ts';
import { getNodeGPU } from '../../src/engine/backends/webgpu/node-gpu.ts';
import { checkMatmul } from '../../src/engine/gpu-probe/check.ts';
import { gpuMatmul, type MatmulShape } from '../../src/engine/gpu-probe/matmul.ts';
import { probeBackend } from '../../src/engine/gpu-probe/probe.ts';
import { Rng } from '../../src/engine/random.ts';

/** Plain triple loop in float64, written independently of gpu-probe/check.ts. */
function naiveMatmul(a: Float32Array, b: Float32Array, { m, k, n }: MatmulShape): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out.push(s);
    }
  }
  return out;
}

let orchard: OrchardDevice;

beforeAll(async () => {
  orchard = await requestOrchardDevice(await getNodeGPU());
});

afterAll(() => {
  orchard?.device.destroy();
});

describe('probe matmul on Dawn', () => {
  const shapes: MatmulShape[] = [
    { m: 37, k: 53, n: 29 },
    { m: 1, k: 1, n: 1 },
    { m: 9, k: 17, n: 65 },
    { m: 64, k: 8, n: 3 },
  ];
  for (const shape of shapes) {
    it(`matches a float64 reference at ${shape.m}×${shape.k}×${shape.n}`, async () => {
      const rng = new Rng(shape.m * 1000 + shape.k * 10 + shape.n);
      const a = rng.normals(shape.m * shape.k);
      const b = rng.normals(shape.k * shape.n);
      const got = await gpuMatmul(orchard.device, a, b, shape);
      const want = naiveMatmul(a, b, shape);
      expect(got.length).toBe(shape.m * shape.n);
      for (let i = 0; i < want.length; i++) {
        // |C| is O(√K) here; f32 rounding stays far below 1e-4 · √K.
        if (!(Math.abs(got[i] - want[i]) <= 1e-4 * Math.sqrt(shape.k))) {
          throw new Error(`C[${Math.floor(i / shape.n)}, ${i % shape.n}] = ${got[i]}, want ${want[i]}`);
        }
      }
    });
  }

  it('checkMatmul passes on the probe shape (37×53×29)', async () => {
    const check = await checkMatmul(orchard.device);
    expect(check.passed).toBe(true);
    expect(check.maxScaledError).toBeLessThanOrEqual(check.tolerance);
    expect(check.shape).toEqual({ m: 37, k: 53, n: 29 });
  });

  it('rejects inputs that do not match the shape', async () => {
    await expect(
      gpuMatmul(orchard.device, new Float32Array(6), new Float32Array(6), { m: 2, k: 3, n: 3 }),
    ).rejects.toThrow(/shape 2×3×3 needs 6 and 9/);
  });
});

describe('probeBackend in Node', () => {
  it('reports the SwiftShader (or real) adapter, its limits, and a passing matmul', async () => {
    const { report, device } = await probeBackend({ host: 'node', getGpu: getNodeGPU, describeRuntime: () => 'test' });
    device?.device.destroy();
    expect(report.matmul?.passed).toBe(true);
    // "auto" trains on WebGPU on a hardware adapter, on the CPU on a software one, and says why.
    const software = report.webgpu ? softwareAdapterName(report.webgpu.adapter) : null;
    if (software) {
      expect(report.backend).toBe('cpu');
      expect(report.fallbackReason).toContain(`the WebGPU adapter is ${software}, a software implementation`);
      expect(device).toBeNull();
    } else {
      expect(report.backend).toBe('webgpu');
      expect(report.fallbackReason).toBeNull();
    }
    const limits = report.webgpu?.limits;
    // Orchard requests the adapter's limits, so they must exceed the spec defaults on any adapter we use.
    expect(limits?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(limits?.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(typeof report.webgpu?.features['shader-f16']).toBe('boolean');
  });

  it('falls back to the CPU with the reason when there is no GPU', async () => {
    const { report, device } = await probeBackend({
      host: 'node',
      getGpu: async () => 'navigator.gpu is undefined',
      describeRuntime: () => 'test',
    });
    expect(device).toBeNull();
    expect(report).toMatchObject({
      backend: 'cpu',
      fallbackReason: 'navigator.gpu is undefined',
      webgpu: null,
      matmul: null,
    });
  });
});
