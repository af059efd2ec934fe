/**
 * What each launch of a program reads and writes, at the granularity the fusion pass reasons in:
 * whole device tensors (a launch writes its output view from element 0; an input view is read
 * from element 0 up to its element count). Every legality check of the pass is built from these
 * sets, so a fused program performs the same reads and writes in an order the original allows.
 */
import type { DeviceTensor, Launch } from '../../../backend.ts';
import { numel } from '../../../ops.ts';

export const count = (v: { shape: readonly number[] }): number => numel(v.shape);

/** Whether `l` reads tensor t (through any input view). */
export function reads(l: Launch, t: DeviceTensor): boolean {
  return l.inputs.some((v) => v.tensor === t);
}

export function writes(l: Launch, t: DeviceTensor): boolean {
  return l.output.tensor === t;
}

export function touches(l: Launch, t: DeviceTensor): boolean {
  return reads(l, t) || writes(l, t);
}

/**
 * Whether the value that position `after` left in `t` (its first `n` elements) can never be
 * observed: the next launch touching t (skipping positions in `skip`) overwrites at least those n
 * elements without reading t. A tensor nobody touches again may be read by the caller after the
 * run (a loss, a gradient), so it counts as observed.
 */
export function deadAfter(
  launches: readonly Launch[],
  after: number,
  t: DeviceTensor,
  n: number,
  skip: ReadonlySet<number>,
): boolean {
  for (let j = after + 1; j < launches.length; j++) {
    if (skip.has(j)) continue;
    const l = launches[j];
    if (reads(l, t)) return false;
    if (writes(l, t)) return count(l.output) >= n;
  }
  return false;
}

/**
 * Whether launch `c` may run earlier, at position `from`, instead of its own position: no launch
 * between them (other than those in `skip`, which move with it) writes what c reads or touches
 * what c writes.
 */
export function hoistable(launches: readonly Launch[], from: number, c: number, skip: ReadonlySet<number>): boolean {
  const l = launches[c];
  for (let j = from + 1; j < c; j++) {
    if (skip.has(j)) continue;
    const m = launches[j];
    if (touches(m, l.output.tensor)) return false;
    if (l.inputs.some((v) => writes(m, v.tensor))) return false;
  }
  return true;
}
