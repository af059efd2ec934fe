/**
 * What an op family's CPU kernels (ops/<family>/cpu.ts) are and share. A kernel binds one launch
 * at compile time (views resolved to typed arrays once) and returns the closure a program calls on
 * every run. Heavy kernels are range kernels (threads/ranges: output units [lo, hi) from typed
 * arrays and offsets, self-contained so helper threads can run their source); bindRange runs one
 * on the calling thread, or split over the backend's threads when its operands live in their
 * shared memory. A new heavy kernel: write its range kernel, add it to threads/ranges/index.ts,
 * bind it with bindRange, and test it against its plain loop (test/unit/cpu-range-kernels.test.ts).
 */
import type { Launch } from '../../backend.ts';
import type { KernelOp } from '../../ops.ts';
import type { Gemm, MatmulDims } from './gemm.ts';
import type { ArrayView, F32View, I32View } from './tensor.ts';
import type { GemmPool } from './threads/gemm-pool.ts';
import { rangeId } from './threads/ranges/index.ts';
import { OPERAND_KIND, type RangeKernel } from './threads/ranges/types.ts';

/**
 * What CPU kernels need of the helper-thread pool: these members of threads/gemm-pool.ts's
 * GemmPool (documented there), so kernels depend on no more of it.
 */
export type MatmulThreads = Pick<
  GemmPool,
  'threads' | 'tryMatmul' | 'allocScratch' | 'freeScratch' | 'minRangeWork' | 'tryRange'
>;

/** What kernels may need from their backend beyond the launch itself. */
export interface KernelContext {
  /** The gemm for a matmul launch of these dims (SIMD when available). */
  gemmFor(d: MatmulDims, transA: boolean, transB: boolean): Gemm;
  /**
   * The backend's gemm is the WebAssembly SIMD one: kernels that run its export on their own packed
   * blocks (ops/attention/cpu-range.ts) then give the same numbers as through gemmFor.
   */
  simd?: boolean;
  /** Helper threads for large kernels (same numbers as one thread); absent when single-threaded. */
  threads?: MatmulThreads;
}

/** The element offset of a view in the pool's shared memory, or undefined when it lives elsewhere. */
export function sharedOffset(ctx: KernelContext, v: ArrayView): number | undefined {
  return ctx.threads && v.shared?.pool === ctx.threads ? v.shared.off : undefined;
}

/** A launch's range kernel, bound at compile time; set `floats` before `run` when they vary per run. */
export interface BoundRange {
  readonly floats: Float64Array;
  run(): void;
}

/**
 * Binds range kernel `kernel` (threads/ranges) to a launch's operands: `run` computes units
 * [0, units) on the calling thread, or splits them over the pool's threads (runs starting at
 * multiples of `align`) when every operand lives in the pool's shared memory and the work repays
 * the hand-off. Either way every unit is the same computation: identical numbers.
 */
export function bindRange(
  ctx: KernelContext,
  kernel: RangeKernel,
  views: readonly ArrayView[],
  attrs: readonly number[],
  floats: readonly number[],
  units: number,
  unitCost: number,
  align = 1,
): BoundRange {
  const f = Float64Array.from(floats);
  const arr = views.map((v) => v.data);
  const local = Int32Array.from([...views.map(() => 0), ...attrs]);
  const offsets = views.map((v) => sharedOffset(ctx, v));
  const pool = ctx.threads;
  if (!pool || units * unitCost < pool.minRangeWork || offsets.some((o) => o === undefined)) {
    return { floats: f, run: () => kernel(arr, local, f, 0, units) };
  }
  const id = rangeId(kernel);
  const kinds = Int32Array.from(views.map((v) => (v.data instanceof Int32Array ? OPERAND_KIND.i32 : OPERAND_KIND.f32)));
  const ints = Int32Array.from([...(offsets as number[]), ...attrs]);
  return {
    floats: f,
    run: () => {
      if (!pool.tryRange(id, kinds, ints, f, units, align)) kernel(arr, local, f, 0, units);
    },
  };
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
