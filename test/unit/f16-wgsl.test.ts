/**
 * The WGSL of f16 weights, checked as text (this machine's SwiftShader adapter has no shader-f16,
 * so these kernels cannot compile here; test/gpu/f16-weights.test.ts runs them on a GPU that has it):
 * a tensor stored as f16 is declared `array<f16>`, read through an accessor that widens to f32 (so
 * the kernel's sums stay f32), and only then does the module start with `enable f16;`. Every kernel
 * built without an f16 tensor (every kernel of an f32 run) is exactly as before: no `enable f16`.
 */
import { describe, expect, it } from 'vitest';
import type { Launch } from '../../src/engine/backend.ts';
import { packHalfForUpload } from '../../src/engine/backends/webgpu/half.ts';
import type { KernelContext } from '../../src/engine/backends/webgpu/kernels/types.ts';
import { GpuTensor, segmentLayout } from '../../src/engine/backends/webgpu/tensor.ts';
import { embeddingKernel } from '../../src/engine/ops/embedding/wgsl.ts';
import { matmulKernel } from '../../src/engine/ops/matmul/wgsl.ts';
import { f16Bits } from '../../src/engine/precision/f16.ts';

const layout = segmentLayout(2 ** 12); // 1024 elements a segment: a 3000-element weight spans 3
const buffer = () => ({ label: 'fake' }) as unknown as GPUBuffer;
const tensor = (numel: number, half = false, dtype: 'f32' | 'i32' = 'f32') =>
  new GpuTensor(numel, dtype, Array.from({ length: Math.ceil(numel / layout.elems) }, buffer), layout, half);

function context(matmul: 'tiled' | 'register'): KernelContext {
  return {
    device: {} as GPUDevice,
    layout,
    limits: { maxThreads: 256, maxStorageBuffers: 10, maxWorkgroupStorageBytes: 16384, maxWorkgroupsPerDim: 65535 },
    matmul,
    rows: 'workgroup',
    scratch: buffer,
    constant: buffer,
  };
}

function matmul(half: boolean): Launch<'matmul'> {
  // x [4, 8, 50] @ W^T, W [60, 50] as a linear layer stores it: W is the frozen weight.
  return {
    op: 'matmul',
    attrs: { transA: false, transB: true },
    inputs: [
      { tensor: tensor(4 * 8 * 50), shape: [4, 8, 50], dtype: 'f32' },
      { tensor: tensor(60 * 50, half), shape: [60, 50], dtype: 'f32' },
    ],
    output: { tensor: tensor(4 * 8 * 60), shape: [4, 8, 60], dtype: 'f32' },
  };
}

describe('WGSL for f16-stored weights', () => {
  for (const variant of ['tiled', 'register'] as const) {
    it(`matmul (${variant}): f16 b declared and widened, f32 accumulation, enable f16 only then`, () => {
      const [f32] = matmulKernel(matmul(false), context(variant));
      const [f16] = matmulKernel(matmul(true), context(variant));
      expect(f32.wgsl).not.toContain('enable f16');
      expect(f32.wgsl).not.toContain('f16');
      expect(f16.wgsl.startsWith('enable f16;\n')).toBe(true);
      expect(f16.wgsl.match(/enable f16;/g)).toHaveLength(1);
      // The weight spans 3 segments, each an f16 array; the activations and output stay f32.
      for (const k of [0, 1, 2]) expect(f16.wgsl).toContain(`var<storage, read> b_${k}: array<f16>;`);
      expect(f16.wgsl).toContain('var<storage, read> a_0: array<f32>;');
      expect(f16.wgsl).toContain('var<storage, read_write> out_0: array<f32>;');
      expect(f16.wgsl).toMatch(/fn ld_b\(i: u32\) -> f32 \{[^}]*return f32\(b_0\[j\]\);/);
      // The accumulators are f32 vectors in both: only the loads differ.
      expect(f16.wgsl).toContain('vec4f');
      expect(f16.wgsl).not.toMatch(/vec4h|: f16 =|var acc[^;]*f16/);
      // Nothing else changed: dropping the f16 storage gives back the f32 module.
      const back = f16.wgsl
        .replace('enable f16;\n', '')
        .replaceAll('array<f16>', 'array<f32>')
        .replace(/f32\((b_\d+\[[ij]\])\)/g, '$1');
      expect(back).toBe(f32.wgsl);
      expect(f16.bindings).toHaveLength(f32.bindings.length);
    });
  }

  it('embedding: an f16 table read through the widening accessor', () => {
    const launch = (half: boolean): Launch<'embedding'> => ({
      op: 'embedding',
      attrs: {} as never,
      inputs: [
        { tensor: tensor(40 * 16, half), shape: [40, 16], dtype: 'f32' },
        { tensor: tensor(2 * 5, false, 'i32'), shape: [2, 5], dtype: 'i32' },
      ],
      output: { tensor: tensor(2 * 5 * 16), shape: [2, 5, 16], dtype: 'f32' },
    });
    const f32 = embeddingKernel(launch(false), context('tiled'));
    const f16 = embeddingKernel(launch(true), context('tiled'));
    expect(f32.every((d) => !d.wgsl.includes('f16'))).toBe(true);
    expect(f16).toHaveLength(f32.length);
    expect(f16[0].wgsl.startsWith('enable f16;\n')).toBe(true);
    expect(f16[0].wgsl).toContain('var<storage, read> table_0: array<f16>;');
    expect(f16[0].wgsl).toContain('fn ld_table(i: u32) -> f32 { return f32(table_0[i]); }');
    expect(f16[0].wgsl).toContain('var<storage, read> ids_0: array<i32>;');
  });
});

describe('uploads into f16 tensors', () => {
  it('cut at segment boundaries into whole 4-byte words, holding each element f16 pattern once', () => {
    for (const n of [1, 2, 1023, 1024, 1025, 3001]) {
      const t = tensor(n, true);
      const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 70 - 0.3);
      const parts = packHalfForUpload(t, data, 0);
      const seen: number[] = [];
      for (const [k, part] of parts.entries()) {
        expect(part.buffer).toBe(t.segments[k]);
        expect(part.byteOffset).toBe(0);
        expect(part.words.byteLength % 4).toBe(0);
        seen.push(...part.words);
      }
      // Every element in order, then at most one zero pad at the tensor's end.
      expect(seen.slice(0, n)).toEqual(Array.from(data, f16Bits));
      expect(seen.length - n).toBe(n % 2);
      if (n % 2) expect(seen[n]).toBe(0);
    }
  });

  it('a write inside a tensor starts at an even element and lands in the right segment', () => {
    const t = tensor(3000, true);
    const parts = packHalfForUpload(t, new Float32Array(100).fill(1), 1000);
    expect(parts.map((p) => [t.segments.indexOf(p.buffer), p.byteOffset, p.words.length])).toEqual([
      [0, 2000, 24],
      [1, 0, 76],
    ]);
    expect(() => packHalfForUpload(t, new Float32Array(4), 3)).toThrow(/whole pairs of elements/);
    expect(() => packHalfForUpload(t, new Float32Array(3), 0)).toThrow(/whole pairs of elements/);
  });
});
