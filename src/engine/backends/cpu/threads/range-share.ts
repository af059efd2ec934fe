/**
 * One chunk of a range job: units [lo, hi) of a range kernel (threads/ranges), chunks shrinking
 * from first to last, their boundaries at multiples of the job's alignment (whole cache lines for elementwise kernels). Claimed and run by
 * the calling thread and the helpers alike (gemm-share.ts claimChunks) on the pool's shared memory;
 * which thread computes a unit never changes its numbers.
 *
 * runRangeChunk must stay self-contained (no imports, no module-level names): the helper threads
 * run its source text (worker-source.ts).
 */
import type { JobLayout } from './gemm-share.ts';
import type { RangeArray, RangeGemm, RangeKernel } from './ranges/types.ts';

/** Floats a range job may pass (a Float64Array over its own SharedArrayBuffer). */
export const RANGE_FLOATS = 16;

export function runRangeChunk(
  L: JobLayout,
  ctl: Int32Array,
  ints: Int32Array,
  floats: Float64Array,
  heaps: RangeArray[],
  kernels: readonly RangeKernel[],
  c: number,
  n: number,
  gemm?: RangeGemm,
): void {
  const units = ctl[L.UNITS];
  const align = ctl[L.ALIGN];
  // Chunks shrink linearly (chunk c holds (n - c) shares): few claims, and a short last one.
  const at = (k: number) =>
    k >= n ? units : Math.floor((units * (1 - ((n - k) * (n - k + 1)) / (n * (n + 1)))) / align) * align;
  const lo = at(c);
  const hi = at(c + 1);
  if (hi <= lo) return;
  const arr: RangeArray[] = [];
  for (let i = 0; i < ctl[L.OPS]; i++) arr.push(heaps[ctl[L.OP_KINDS + i]]);
  kernels[ctl[L.RANGE]](arr, ints, floats, lo, hi, gemm, c);
}
