/** CPU kernels of the embedding lookup and its scatter-add gradient. */
import { type CpuKernels, checkTokenId, eachRun, f32, i32 } from '../../backends/cpu/kernel-kit.ts';
import type { F32View, I32View } from '../../backends/cpu/tensor.ts';
import { numel } from '../shape.ts';

export function embedding(table: F32View, ids: I32View, out: F32View): void {
  const [V, D] = table.shape;
  const n = numel(ids.shape);
  for (let i = 0; i < n; i++) {
    const id = ids.data[i];
    checkTokenId(id, V, 'embedding');
    out.data.set(table.data.subarray(id * D, id * D + D), i * D);
  }
}

export function embeddingGrad(ids: I32View, g: F32View, vocab: number, out: F32View): void {
  const D = g.shape[g.shape.length - 1];
  const n = numel(ids.shape);
  out.data.fill(0, 0, vocab * D);
  for (let i = 0; i < n; i++) {
    const id = ids.data[i];
    checkTokenId(id, vocab, 'embedding_grad');
    for (let j = 0; j < D; j++) out.data[id * D + j] += g.data[i * D + j];
  }
}

export const embeddingCpu: CpuKernels<'embedding' | 'embedding_grad'> = {
  embedding: eachRun((_l, [t, ids], o) => embedding(f32(t), i32(ids), f32(o))),
  embedding_grad: eachRun((l, [ids, g], o) => embeddingGrad(i32(ids), f32(g), l.attrs.vocab, f32(o))),
};
