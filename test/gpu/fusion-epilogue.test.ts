/**
 * Epilogue fusion (src/engine/backends/webgpu/fusion/epilogue.ts): elementwise launches computed
 * inside the kernel that produces their input. Each case is a launch list with odd shapes, checked
 * tensor by tensor against the CPU backend, fused and unfused, and the fused program must use
 * fewer dispatches, or exactly as many where fusing would be wrong.
 */
import { describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { checkFusion, L, type TensorDecl } from './fusion-harness.ts';
import { gpuBackendPerVariant } from './webgpu-helpers.ts';

const backend = gpuBackendPerVariant(['plain', 'fused'] as const, (v) => ({ fusion: v === 'fused' }));
const both = (): [WebGPUBackend, WebGPUBackend] => [backend('plain'), backend('fused')];

describe('epilogues folded into their producer', () => {
  it('matmul + bias + GELU, then matmul + bias + residual add (a GPT-2 MLP block)', async () => {
    const t: Record<string, TensorDecl> = {
      x: { shape: [3, 5, 7] },
      w1: { shape: [7, 11], std: 0.4 },
      b1: { shape: [11] },
      h: { shape: [3, 5, 11] },
      g: { shape: [3, 5, 11] },
      w2: { shape: [11, 7], std: 0.4 },
      b2: { shape: [7] },
      y: { shape: [3, 5, 7] },
      r: { shape: [3, 5, 7] },
    };
    const launches = [
      L('matmul', ['x', 'w1'], 'h', { transA: false, transB: false }),
      L('add', ['h', 'b1'], 'h'),
      L('unary', ['h'], 'g', { fn: 'gelu_tanh' }),
      L('matmul', ['g', 'w2'], 'y', { transA: false, transB: false }),
      L('add', ['y', 'b2'], 'y'),
      L('add', ['x', 'y'], 'r'),
    ];
    const { plain, fused } = await checkFusion(...both(), t, launches);
    expect(plain.dispatches).toBe(6);
    expect(fused.dispatches).toBe(2);
    expect(fused.fusedLaunches).toBe(4);
  });

  it('a chain of every elementwise op on one odd shape, with broadcast operands, is one kernel', async () => {
    const n = [7, 149];
    const t: Record<string, TensorDecl> = {
      a: { shape: n },
      b: { shape: n },
      c: { shape: [149] },
      s1: { shape: n },
      s2: { shape: n },
      s3: { shape: n },
      s4: { shape: n },
      s5: { shape: n },
      s6: { shape: n },
    };
    const launches = [
      L('add', ['a', 'b'], 's1'),
      L('mul', ['s1', 'c'], 's2'),
      L('sub', ['s2', 'a'], 's2'),
      L('scale', ['s2'], 's3', { s: -0.37 }),
      L('unary', ['s3'], 's4', { fn: 'log_sigmoid' }),
      L('unary', ['s4'], 's5', { fn: 'silu' }),
      L('unary_grad', ['s3', 's5'], 's6', { fn: 'sigmoid' }),
    ];
    const { fused } = await checkFusion(...both(), t, launches);
    expect(fused.dispatches).toBe(1);
  });

  it('the LoRA branch (scale of B·A·x) added onto the base matmul', async () => {
    const t: Record<string, TensorDecl> = {
      x: { shape: [9, 13] },
      w: { shape: [13, 10], std: 0.3 },
      la: { shape: [13, 3], std: 0.3 },
      lb: { shape: [3, 10], std: 0.3 },
      base: { shape: [9, 10] },
      xa: { shape: [9, 3] },
      xab: { shape: [9, 10] },
      out: { shape: [9, 10] },
    };
    const launches = [
      L('matmul', ['x', 'w'], 'base', { transA: false, transB: false }),
      L('matmul', ['x', 'la'], 'xa', { transA: false, transB: false }),
      L('matmul', ['xa', 'lb'], 'xab', { transA: false, transB: false }),
      L('scale', ['xab'], 'xab', { s: 2.5 }),
      L('add', ['base', 'xab'], 'out'),
    ];
    const { plain, fused } = await checkFusion(...both(), t, launches);
    // The scale and the add, and xab's matmul itself (computed in base's kernel, fusion/matmul-pair.ts).
    expect(fused.fusedLaunches).toBe(3);
    expect(fused.dispatches).toBeLessThan(plain.dispatches);
  });

  it('gradient accumulation: the residual-gradient add folded into the layernorm backward', async () => {
    const t: Record<string, TensorDecl> = {
      x: { shape: [6, 33] },
      w: { shape: [33] },
      g: { shape: [6, 33] },
      dx: { shape: [6, 33] },
      acc: { shape: [6, 33] },
    };
    const launches = [L('layernorm_grad_x', ['x', 'w', 'g'], 'dx', { eps: 1e-5 }), L('add', ['acc', 'dx'], 'acc')];
    const { fused } = await checkFusion(...both(), t, launches);
    expect(fused.fusedLaunches).toBe(1);
  });

  it('does not move a consumer over a launch that reads what it overwrites (buffer reuse)', async () => {
    // As the planner emits a GELU MLP backward: dW reads the saved activation `act`, whose buffer
    // the GELU gradient then reuses; hoisting it above dW would feed dW the gradient instead.
    const t: Record<string, TensorDecl> = {
      gy: { shape: [10, 6] },
      w: { shape: [5, 6] },
      pre: { shape: [10, 5] },
      act: { shape: [10, 5] },
      dact: { shape: [10, 5] },
      dw: { shape: [5, 6] },
    };
    const launches = [
      L('matmul', ['gy', 'w'], 'dact', { transA: false, transB: true }),
      L('matmul', ['act', 'gy'], 'dw', { transA: true, transB: false }),
      L('unary_grad', ['pre', 'dact'], 'act', { fn: 'gelu_tanh' }),
    ];
    const { fused } = await checkFusion(...both(), t, launches);
    expect(fused.fusedLaunches).toBe(0);
  });

  it('keeps storing an intermediate that a later launch still reads', async () => {
    const t: Record<string, TensorDecl> = {
      x: { shape: [4, 9] },
      w: { shape: [9, 5] },
      h: { shape: [4, 5] },
      e: { shape: [4, 5] },
      z: { shape: [4, 5] },
    };
    const launches = [
      L('matmul', ['x', 'w'], 'h', { transA: false, transB: false }),
      L('unary', ['h'], 'e', { fn: 'exp' }),
      L('matmul', ['x', 'w'], 'z', { transA: false, transB: false }),
      L('mul', ['z', 'h'], 'z'),
    ];
    const { fused } = await checkFusion(...both(), t, launches);
    // exp and mul, and z's matmul computed in h's kernel (fusion/matmul-pair.ts); h is still stored.
    expect(fused.fusedLaunches).toBe(3);
  });
});
