/**
 * What an op family's CPU kernels (ops/<family>/cpu.ts) are and share. A kernel binds one launch
 * at compile time (views resolved to typed arrays once) and returns the closure a program calls on
 * every run.
 */
import type { Launch } from '../../backend.ts';
import type { KernelOp } from '../../ops.ts';
import type { Gemm, MatmulDims } from './gemm.ts';
import type { ArrayView, F32View, I32View } from './tensor.ts';

/** What the CPU matmul kernel needs of the helper-thread pool (threads/gemm-pool.ts implements it). */
export interface MatmulThreads {
  /** Runs the matmul on the helper threads; false when it should run on the calling thread instead. */
  tryMatmul(a: F32View, b: F32View, transA: boolean, transB: boolean, out: F32View, d: MatmulDims): boolean;
}

/** What kernels may need from their backend beyond the launch itself. */
export interface KernelContext {
  /** The gemm for a matmul launch of these dims (SIMD when available). */
  gemmFor(d: MatmulDims, transA: boolean, transB: boolean): Gemm;
  /** Helper threads for large matmuls (same numbers as one thread); absent when single-threaded. */
  threads?: MatmulThreads;
}

export type CpuKernel<K extends KernelOp> = (
  launch: Launch<K>,
  inputs: ArrayView[],
  out: ArrayView,
  ctx: KernelContext,
) => () => void;

export type CpuKernels<Ops extends KernelOp> = { readonly [K in Ops]: CpuKernel<K> };

/** A kernel with nothing to prepare at compile time: `run` executes on every program run. */
export function eachRun<K extends KernelOp>(
  run: (launch: Launch<K>, inputs: ArrayView[], out: ArrayView) => void,
): CpuKernel<K> {
  return (launch, inputs, out) => () => run(launch, inputs, out);
}

export const f32 = (v: ArrayView): F32View => v as F32View;
export const i32 = (v: ArrayView): I32View => v as I32View;

export function checkTokenId(id: number, vocab: number, where: string): void {
  if (id < 0 || id >= vocab || !Number.isInteger(id)) {
    throw new RangeError(
      `${where}: token id ${id} is outside the table's ${vocab} rows; check the tokenizer/vocab size`,
    );
  }
}
