/**
 * Prologue fusion (src/engine/backends/webgpu/fusion/prologue.ts): a slice, permute or pad whose
 * output only the next launch reads is computed inside that launch's kernel. Checked against the
 * CPU backend on odd shapes, with the attention layouts the planner emits, and with the cases that
 * must not fuse (the output read again later; the consumer overwriting the producer's input).
 */
import { describe, expect, it } from 'vitest';
import { checkFusion, L, type TensorDecl } from './fusion-harness.ts';
import { gpuBackendPerVariant } from './webgpu-helpers.ts';

const backend = gpuBackendPerVariant(['plain', 'fused'] as const, (v) => ({ fusion: v === 'fused' }));

describe('data movement computed inside its consumer', () => {
  it('q/k/v sliced out of c_attn and split into heads, then scores (forward attention)', async () => {
    const [B, T, H, D] = [2, 5, 3, 7];
    const C = H * D;
    const t: Record<string, TensorDecl> = {
      qkv: { shape: [B, T, 3 * C] },
      s: { shape: [B, T, C] },
      q: { shape: [B, H, T, D] },
      k: { shape: [B, H, T, D] },
      scores: { shape: [B, H, T, T] },
      after: { shape: [B, T, C] },
    };
    const heads = (name: string) => ({ name, shape: [B, T, H, D] });
    const launches = [
      L('slice_last', ['qkv'], 's', { start: 0, len: C }),
      L('permute', [heads('s')], 'q', { perm: [0, 2, 1, 3] }),
      L('slice_last', ['qkv'], 's', { start: C, len: C }),
      L('permute', [heads('s')], 'k', { perm: [0, 2, 1, 3] }),
      L('matmul', ['q', 'k'], 'scores', { transA: false, transB: true }),
      // `s` is overwritten here, so the slices above were never observable.
      L('scale', ['after'], 's', { s: 3 }),
    ];
    const { plain, fused } = await checkFusion(backend('plain'), backend('fused'), t, launches);
    expect(fused.fusedLaunches).toBeGreaterThanOrEqual(2);
    expect(fused.dispatches).toBeLessThan(plain.dispatches);
  });

  it('heads merged back and padded into the c_attn gradient, accumulated (backward attention)', async () => {
    const [B, T, H, D] = [2, 3, 2, 5];
    const C = H * D;
    const t: Record<string, TensorDecl> = {
      dq: { shape: [B, H, T, D] },
      dk: { shape: [B, H, T, D] },
      m: { shape: [B, T, C] },
      pq: { shape: [B, T, 3 * C] },
      pk: { shape: [B, T, 3 * C] },
      other: { shape: [B, T, C] },
    };
    const merged = { name: 'm', shape: [B, T, H, D] };
    const launches = [
      L('permute', ['dq'], merged, { perm: [0, 2, 1, 3] }),
      L('pad_last', ['m'], 'pq', { start: 0, total: 3 * C }),
      L('permute', ['dk'], merged, { perm: [0, 2, 1, 3] }),
      L('pad_last', ['m'], 'pk', { start: C, total: 3 * C }),
      L('add', ['pq', 'pk'], 'pq'),
      L('scale', ['other'], 'm', { s: -1 }),
    ];
    const { fused } = await checkFusion(backend('plain'), backend('fused'), t, launches);
    expect(fused.fusedLaunches).toBeGreaterThanOrEqual(3);
  });

  it('keeps a slice that is read again later, and one whose consumer overwrites its source', async () => {
    const t: Record<string, TensorDecl> = {
      x: { shape: [4, 9] },
      s: { shape: [4, 3] },
      y: { shape: [3, 4] },
      z: { shape: [4, 3] },
    };
    const launches = [
      L('slice_last', ['x'], 's', { start: 2, len: 3 }),
      L('permute', ['s'], 'y', { perm: [1, 0] }),
      L('unary', ['s'], 'z', { fn: 'exp' }),
      L('slice_last', ['x'], 'z', { start: 5, len: 3 }),
      L('permute', ['z'], { name: 'x', shape: [3, 4] }, { perm: [1, 0] }),
    ];
    const { fused } = await checkFusion(backend('plain'), backend('fused'), t, launches);
    expect(fused.fusedLaunches).toBe(1); // only the exp, folded into the first slice
  });
});
