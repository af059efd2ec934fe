/** CPU kernel of matmul: batches of one gemm (the WebAssembly SIMD one or the JS one, backends/cpu). */
import type { Gemm, MatmulDims } from '../../backends/cpu/gemm.ts';
import { matmulDims } from '../../backends/cpu/gemm.ts';
import { type CpuKernels, f32, sharedOffset } from '../../backends/cpu/kernel-kit.ts';
import type { F32View } from '../../backends/cpu/tensor.ts';

/** Runs a batched matmul launch through `gemm`, one call per batch (one in all for a shared b). */
export function matmul(
  a: F32View,
  b: F32View,
  transA: boolean,
  transB: boolean,
  out: F32View,
  d: MatmulDims,
  gemm: Gemm,
): void {
  const { M, N, K } = d;
  if (d.sharedB && !transA) {
    // Every batch uses the same b: one [batch*M, K] x [K, N] product.
    gemm(a.data, 0, false, b.data, 0, transB, out.data, 0, d.batch * M, N, K);
    return;
  }
  for (let i = 0; i < d.batch; i++) {
    gemm(a.data, i * M * K, transA, b.data, d.sharedB ? 0 : i * N * K, transB, out.data, i * M * N, M, N, K);
  }
}

export const matmulCpu: CpuKernels<'matmul'> = {
  matmul: (l, [a, b], o, ctx) => {
    const { transA, transB } = l.attrs;
    // N from the output: matmulDims derives it as b's size / K, which is NaN for an empty sum
    // (K = 0), and then no gemm ran and the output kept stale values instead of zeros.
    const dims = { ...matmulDims(a.shape, b.shape, transA), N: o.shape[o.shape.length - 1] };
    const gemm = ctx.gemmFor(dims, transA, transB);
    const threads = ctx.threads;
    // Operands in the thread pool's shared memory are used in place (no copy in or out).
    const at = { a: sharedOffset(ctx, a), b: sharedOffset(ctx, b), out: sharedOffset(ctx, o) };
    return () => {
      if (threads?.tryMatmul({ a: f32(a), b: f32(b), transA, transB, out: f32(o), d: dims }, at)) return;
      matmul(f32(a), f32(b), transA, transB, f32(o), dims, gemm);
    };
  },
};
