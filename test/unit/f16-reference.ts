/**
 * An f16 reference for the precision tests that shares no code with engine/precision/f16.ts: every
 * pattern decoded from the standard's definition, and rounding as a brute-force nearest-value
 * search over all finite f16 values (ties to the even pattern; IEEE's overflow rule at the top).
 */

/** The value of bit pattern h, straight from the standard's definition. */
export function decodeReference(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? Number.NaN : s * Infinity;
  return e === 0 ? s * 2 ** -14 * (m / 1024) : s * 2 ** (e - 15) * (1 + m / 1024);
}

/** Every non-negative finite f16 value, ascending, with its bit pattern (patterns 0..0x7bff ascend). */
const POSITIVE = Array.from({ length: 0x7c00 }, (_, h) => ({ h, v: decodeReference(h) }));

/**
 * The reference rounding: the f16 pattern nearest to x (taken as f32), ties to the even pattern;
 * beyond the top, IEEE's rule: |x| >= 65504 + half an ulp (65520) goes to infinity.
 */
export function roundReference(x: number): number {
  const v = Math.fround(x);
  const a = Math.abs(v);
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = POSITIVE.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POSITIVE[mid].v <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - POSITIVE[lo].v;
  const dHi = POSITIVE[hi].v - a;
  const pick = dLo < dHi ? lo : dHi < dLo ? hi : POSITIVE[lo].h % 2 === 0 ? lo : hi;
  return sign | POSITIVE[pick].h;
}

/** `data` rounded to f16 values by the reference, as f32. */
export function roundArrayReference(data: Float32Array): Float32Array {
  return Float32Array.from(data, (x) => decodeReference(roundReference(x)));
}
