/**
 * Workgroup-wide reductions in WGSL, for kernels that give one workgroup per row. Each helper must
 * be called by every thread of the workgroup (uniform control flow) and returns the result to all.
 */

/** Smallest power of two >= n, clamped to [lo, hi]. */
export function pow2Threads(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, 2 ** Math.ceil(Math.log2(Math.max(1, n)))));
}

/** Finite stand-in for -infinity (WGSL has no infinity literal). */
export const NEG_BIG = '-3.4028234e38';

export function reduceHelpers(wg: number): string {
  return `
var<workgroup> red_a: array<f32, ${wg}>;
var<workgroup> red_b: array<f32, ${wg}>;
fn wg_sum(li: u32, v: f32) -> f32 {
  red_a[li] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (li < s) { red_a[li] += red_a[li + s]; }
    workgroupBarrier();
  }
  let r = red_a[0];
  workgroupBarrier();
  return r;
}
fn wg_max(li: u32, v: f32) -> f32 {
  red_a[li] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (li < s) { red_a[li] = max(red_a[li], red_a[li + s]); }
    workgroupBarrier();
  }
  let r = red_a[0];
  workgroupBarrier();
  return r;
}
// Combines per-thread online-softmax states (running max m, sum of exp(x - m)) into the row's.
fn wg_logsumexp_state(li: u32, m: f32, s: f32) -> vec2f {
  red_a[li] = m;
  red_b[li] = s;
  workgroupBarrier();
  for (var w = ${wg / 2}u; w > 0u; w >>= 1u) {
    if (li < w) {
      let m1 = red_a[li];
      let m2 = red_a[li + w];
      let mm = max(m1, m2);
      red_b[li] = red_b[li] * exp(m1 - mm) + red_b[li + w] * exp(m2 - mm);
      red_a[li] = mm;
    }
    workgroupBarrier();
  }
  let r = vec2f(red_a[0], red_b[0]);
  workgroupBarrier();
  return r;
}
`;
}

/** The same helpers for one thread per row: each thread already holds its row's total. */
export function serialReduceHelpers(): string {
  return `
fn wg_sum(li: u32, v: f32) -> f32 { return v; }
fn wg_max(li: u32, v: f32) -> f32 { return v; }
fn wg_logsumexp_state(li: u32, m: f32, s: f32) -> vec2f { return vec2f(m, s); }
`;
}
