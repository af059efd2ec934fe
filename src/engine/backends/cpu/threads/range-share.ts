/**
 * One thread's share of a range job: units [lo, hi) of a range kernel (threads/ranges), split in
 * contiguous runs whose starts are multiples of the job's alignment (whole cache lines for
 * elementwise kernels). Run by the calling thread (rank 0) and every helper on the pool's shared
 * memory; which thread computes a unit never changes its numbers.
 *
 * runRangeShare must stay self-contained (no imports, no module-level names): the helper threads
 * run its source text (worker-source.ts).
 */
import type { JobLayout } from './gemm-share.ts';
import type { RangeArray, RangeKernel } from './ranges/types.ts';

/** Floats a range job may pass (a Float64Array over its own SharedArrayBuffer). */
export const RANGE_FLOATS = 16;

export function runRangeShare(
  L: JobLayout,
  ctl: Int32Array,
  ints: Int32Array,
  floats: Float64Array,
  heaps: RangeArray[],
  kernels: readonly RangeKernel[],
  rank: number,
): void {
  const T = ctl[L.THREADS];
  const units = ctl[L.UNITS];
  const align = ctl[L.ALIGN];
  const at = (r: number) => (r >= T ? units : Math.floor((units * r) / T / align) * align);
  const lo = at(rank);
  const hi = at(rank + 1);
  if (hi <= lo) return;
  const arr: RangeArray[] = [];
  for (let i = 0; i < ctl[L.OPS]; i++) arr.push(heaps[ctl[L.OP_KINDS + i]]);
  kernels[ctl[L.RANGE]](arr, ints, floats, lo, hi);
}
