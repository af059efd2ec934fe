/**
 * precision "f16-weights" on WebGPU.
 *
 * Without 'shader-f16' (SwiftShader, this project's CI adapter) the backend offers no f16 storage,
 * and the run is EMULATED exactly as on the CPU: these checks run everywhere.
 *
 * With 'shader-f16' (a real GPU) the frozen weights are stored as f16 and the matmul and embedding
 * kernels read them through widening accessors: those checks are skipped ONLY when the adapter
 * lacks the feature, and a skipped test proves nothing; the emulation tests
 * (test/unit/f16-weights-training.test.ts) carry the correctness claim of the f16 numerics.
 * Tolerance of GPU f16 vs CPU emulation: both use the same f16 weight values, so only the f32
 * summation order differs (relative ~1e-6 per product); training losses agree to 1e-4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { GpuTensor } from '../../src/engine/backends/webgpu/tensor.ts';
import { Graph, type Precision, precisionNote } from '../../src/engine/index.ts';
import { roundArrayToF16 } from '../../src/engine/precision/f16.ts';
import { compileForward, ParamStore } from '../../src/engine/session.ts';
import { maxLossGap, trainParity } from '../unit/f16-parity.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';

// Created when the file is collected: whether the f16 tests run depends on this device.
const gpu: WebGPUBackend = await makeGpuBackend();
/** The device has 'shader-f16' enabled (device.ts requests it whenever the adapter offers it). */
const HAS_F16 = gpu.device.features.has('shader-f16');
let small: WebGPUBackend; // 1024-element segments: f16 tensors split across several buffers
beforeAll(async () => {
  small = await makeGpuBackend({ maxSegmentBytes: 4096 });
});
afterAll(() => {
  gpu.dispose();
  small?.dispose();
});

function seeded(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** y = x W^T + the embedding rows of `ids`, with W [N, K] and the table frozen params. */
async function linearAndEmbedding(backend: CpuBackend | WebGPUBackend, precision: Precision) {
  const [B, K, N, V] = [37, 70, 45, 53];
  const g = new Graph();
  const x = g.input('x', [B, K]);
  const ids = g.input('ids', [B], 'i32');
  const w = g.param('w', [N, K], false);
  const table = g.param('table', [V, N], false);
  const y = g.add(g.matmul(x, w, false, true), g.embedding(table, ids));
  const store = new ParamStore(backend, { precision });
  const init: Record<string, Float32Array> = { w: seeded(N * K, 1, 0.3), table: seeded(V * N, 2) };
  store.addFromGraph(g, (name) => init[name]);
  const fwd = compileForward(g, [y], backend, store);
  const [out] = await fwd.run({
    x: seeded(B * K, 3),
    ids: Int32Array.from({ length: B }, (_, i) => (i * 7) % V),
  });
  fwd.dispose();
  return { out, store };
}

describe('f16-weights on WebGPU without shader-f16 (emulated)', () => {
  it.skipIf(HAS_F16)('offers no f16 storage, says the run is emulated, and matches the CPU emulation', async () => {
    expect(gpu.allocHalf).toBeUndefined();
    expect(precisionNote('f16-weights', gpu)).toMatch(/EMULATED: this WebGPU adapter does not offer 'shader-f16'/);
    const onGpu = await linearAndEmbedding(gpu, 'f16-weights');
    const onCpu = await linearAndEmbedding(new CpuBackend(), 'f16-weights');
    expect(onGpu.store.get('w').storage).toBe('f16-emulated');
    expect(await onGpu.store.read('w')).toEqual(await onCpu.store.read('w'));
    for (let i = 0; i < onCpu.out.length; i++) {
      expect(Math.abs(onGpu.out[i] - onCpu.out[i])).toBeLessThan(1e-5 * (1 + Math.abs(onCpu.out[i])));
    }
    onGpu.store.dispose();
  });
});

describe('f16-weights on WebGPU with shader-f16 (real f16 storage and kernels)', () => {
  it.skipIf(!HAS_F16)('uploads and reads back f16 tensors across segments, odd lengths included', async () => {
    for (const backend of [gpu, small]) {
      for (const n of [1, 2, 1023, 1024, 1025, 3001]) {
        const data = seeded(n, n, 100);
        const t = backend.allocHalf?.(n) as GpuTensor;
        expect(t).toBeInstanceOf(GpuTensor);
        expect(t.half).toBe(true);
        backend.write(t, data);
        expect(await backend.read(t)).toEqual(roundArrayToF16(data));
        backend.free(t);
      }
    }
  });

  it.skipIf(!HAS_F16)('matmul and embedding read f16 weights with f32 sums, as the CPU emulation', async () => {
    for (const backend of [gpu, small]) {
      const onGpu = await linearAndEmbedding(backend, 'f16-weights');
      const onCpu = await linearAndEmbedding(new CpuBackend(), 'f16-weights');
      expect(onGpu.store.get('w').storage).toBe('f16');
      expect(onGpu.store.bytes()).toBe(2 * (45 * 70 + 53 * 45));
      expect(await onGpu.store.read('table')).toEqual(await onCpu.store.read('table'));
      for (let i = 0; i < onCpu.out.length; i++) {
        expect(Math.abs(onGpu.out[i] - onCpu.out[i])).toBeLessThan(1e-5 * (1 + Math.abs(onCpu.out[i])));
      }
      onGpu.store.dispose();
    }
  });

  it.skipIf(!HAS_F16)('trains the parity experiment like the CPU emulation, in half the weight memory', async () => {
    const onCpu = await trainParity('f16-weights', new CpuBackend());
    const onGpu = await trainParity('f16-weights', gpu);
    expect(onGpu.pairs).toEqual(onCpu.pairs);
    const gap = maxLossGap(onCpu.losses, onGpu.losses);
    console.log(`f16-weights, WebGPU f16 kernels vs CPU emulation: max |Δ loss| = ${gap.toExponential(2)}`);
    expect(gap).toBeLessThan(1e-4);
    expect(onGpu.logs).toMatch(/frozen weights stored as f16 on the GPU/);
  });
});
