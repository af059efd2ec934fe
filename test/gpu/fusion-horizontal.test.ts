/**
 * Horizontal fusion (src/engine/backends/webgpu/fusion/horizontal.ts): neighbouring dispatches
 * that share no written buffer run as one. Checked on both kernel families (register matmul and
 * thread-per-row reductions; tiled matmul and workgroup rows, whose barriers must stay in uniform
 * control flow after merging) against the CPU backend.
 */
import { describe, expect, it } from 'vitest';
import { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { getNodeGPU } from '../../src/engine/backends/webgpu/node-gpu.ts';
import { Rng } from '../../src/engine/random.ts';
import { checkFusion, L, type TensorDecl } from './fusion-harness.ts';
import { adamwCase, gpuBackendPerVariant } from './webgpu-helpers.ts';

const VARIANTS = ['plain', 'cpu-kernels', 'gpu-kernels'] as const;
const backend = gpuBackendPerVariant(VARIANTS, (v) =>
  v === 'gpu-kernels'
    ? { fusion: true, matmul: 'tiled', rows: 'workgroup' }
    : { fusion: v !== 'plain', matmul: 'register', rows: 'thread' },
);

describe('independent neighbours share one dispatch', () => {
  for (const variant of ['cpu-kernels', 'gpu-kernels'] as const) {
    it(`dX and dW of a linear layer, and two softmaxes (${variant})`, async () => {
      const t: Record<string, TensorDecl> = {
        g: { shape: [37, 19] },
        x: { shape: [37, 23] },
        w: { shape: [23, 19] },
        dx: { shape: [37, 23] },
        dw: { shape: [23, 19] },
        s1: { shape: [2, 3, 5, 9] },
        s2: { shape: [2, 3, 5, 9] },
        mask: { shape: [2, 9], data: Float32Array.from({ length: 18 }, (_, i) => (i % 9 === 7 ? 0 : 1)) },
        p1: { shape: [2, 3, 5, 9] },
        p2: { shape: [2, 3, 5, 9] },
      };
      const launches = [
        L('matmul', ['g', 'w'], 'dx', { transA: false, transB: true }),
        L('matmul', ['x', 'g'], 'dw', { transA: true, transB: false }),
        L('softmax_causal', ['s1', 'mask'], 'p1', { scale: 0.3 }),
        L('softmax_causal', ['s2', 'mask'], 'p2', { scale: 0.7 }),
      ];
      const { plain, fused } = await checkFusion(backend('plain'), backend(variant), t, launches);
      expect(plain.dispatches).toBe(4);
      expect(fused.dispatches).toBeLessThanOrEqual(2);
    });
  }

  for (const variant of ['cpu-kernels', 'gpu-kernels'] as const) {
    it(`kernels of different workgroup sizes share a dispatch only when the smaller has no barriers (${variant})`, async () => {
      const t: Record<string, TensorDecl> = {
        g: { shape: [3, 41, 13] },
        col: { shape: [13] },
        x: { shape: [301] },
        y: { shape: [301] },
        s: { shape: [2, 1, 3, 9] },
        mask: { shape: [2, 9] },
        prob: { shape: [2, 1, 3, 9] },
      };
      const launches = [
        L('sum_leading', ['g'], 'col', { keep: 1 }), // 64 threads, no barriers
        L('scale', ['x'], 'y', { s: 1.5 }), // 256 threads
        L('softmax_causal', ['s', 'mask'], 'prob', { scale: 0.5 }),
      ];
      const { fused } = await checkFusion(backend('plain'), backend(variant), t, launches);
      // Thread-per-row softmax (CPU adapters) has no barriers and joins; the workgroup-per-row one
      // synchronises its 32 threads, so it may not run inside 256-thread workgroups.
      expect(fused.dispatches).toBe(variant === 'cpu-kernels' ? 1 : 2);
    });
  }

  it('keeps a dispatch that reads or overwrites what its neighbour touches separate', async () => {
    const t: Record<string, TensorDecl> = {
      x: { shape: [11, 7] },
      w: { shape: [7, 7] },
      h: { shape: [11, 7] },
      y: { shape: [11, 7] },
    };
    const launches = [
      L('matmul', ['x', 'w'], 'h', { transA: false, transB: false }),
      L('matmul', ['h', 'w'], 'y', { transA: false, transB: false }),
      L('matmul', ['w', 'w'], 'x', { transA: false, transB: false }),
    ];
    const { fused } = await checkFusion(backend('plain'), backend('cpu-kernels'), t, launches);
    // The second reads h (written by the first); the third overwrites x (read by the first) but
    // shares nothing written with the second, so only the last two may share a dispatch.
    expect(fused.dispatches).toBe(2);
    const war = await checkFusion(backend('plain'), backend('cpu-kernels'), t, [launches[0], launches[2]]);
    expect(war.fused.dispatches).toBe(2);
  });

  it('two AdamW updates sharing the hyper-parameters and grad norm', async () => {
    const rng = new Rng(3);
    const hyper = [0.01, 0.9, 0.999, 1e-8, 0.05, 0.1, 0.001, 1];
    const a = adamwCase(rng, [13, 7], hyper, 4.5);
    const b = adamwCase(rng, [301], hyper, 4.5);
    const t: Record<string, TensorDecl> = {};
    const names = ['w', 'g', 'm', 'v'];
    for (const [k, c] of [a, b].entries()) {
      names.forEach((n, i) => {
        t[`${n}${k}`] = { shape: c.inputs[i].shape, data: c.inputs[i].data };
      });
    }
    t.hyper = { shape: [8], data: a.inputs[4].data };
    t.gnorm = { shape: [1], data: a.inputs[5].data };
    const launches = [0, 1].map((k) => L('adamw', [`w${k}`, `g${k}`, `m${k}`, `v${k}`, 'hyper', 'gnorm'], `w${k}`, {}));
    const { plain, fused } = await checkFusion(backend('plain'), backend('cpu-kernels'), t, launches);
    expect(plain.dispatches).toBe(2);
    // The shared hyper-parameters and grad norm are bound once: two updates need 10 storage
    // buffers, so they share a dispatch on a device that allows only 10 (WebGPU's default is 8).
    const device = await (await (await getNodeGPU()).requestAdapter())?.requestDevice({
      requiredLimits: { maxStorageBuffersPerShaderStage: 10 },
    });
    const ten = new WebGPUBackend(device as GPUDevice, { isFallbackAdapter: true, ownsDevice: true });
    try {
      expect(ten.limits.maxStorageBuffers).toBe(10);
      const { fused: onTen } = await checkFusion(backend('plain'), ten, t, launches);
      expect(onTen.dispatches).toBe(1);
      expect(fused.dispatches).toBe(1);
    } finally {
      ten.dispose();
    }
  });
});
