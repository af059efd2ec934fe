/**
 * IEEE 754 binary16 ("f16", WGSL's f16) conversions on the host: rounding f32 values to the nearest
 * f16 (round-to-nearest, ties to even, exactly what a GPU's f32 -> f16 conversion does), the
 * 16-bit patterns the WebGPU backend uploads, and back. Node 20 has no Math.f16round, so this is
 * done on the f32 bit pattern.
 *
 * f16 has a 10-bit stored mantissa (11 significant bits): a normal value is rounded with a relative
 * error of at most 2^-11, subnormals (below 2^-14) with an absolute error of at most 2^-25, and the
 * largest finite value is 65504; anything from 65520 up rounds to infinity.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite f16 value. */
export const F16_MAX = 65504;
/** Smallest positive f16 (subnormal) value, 2^-24. */
export const F16_MIN_SUBNORMAL = 2 ** -24;
/** Smallest positive normal f16 value, 2^-14. */
export const F16_MIN_NORMAL = 2 ** -14;

/** Shifts `m` right by `s` bits (1..31), rounding to nearest with ties to even. */
function shiftRoundEven(m: number, s: number): number {
  const q = m >>> s;
  const rest = m & ((1 << s) - 1);
  const half = 1 << (s - 1);
  return rest > half || (rest === half && (q & 1) === 1) ? q + 1 : q;
}

/** The f16 bit pattern nearest to `x` (after `x` is taken as an f32). NaN stays NaN, overflow is ±Inf. */
export function f16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // the f16 biased exponent (bias 15 instead of 127)
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal in f16: the value in units of 2^-24 is the 24-bit significand >> (14 - e).
    const shift = 14 - e;
    if (shift > 24) return sign; // below 2^-25: rounds to zero
    return sign | shiftRoundEven(mant | 0x800000, shift);
  }
  // Normal: drop 13 mantissa bits; a carry out of the mantissa bumps the exponent (to Inf at the top).
  return sign | shiftRoundEven((e << 23) | mant, 13);
}

/** The value of an f16 bit pattern. */
export function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * F16_MIN_SUBNORMAL;
  if (exp === 0x1f) return mant !== 0 ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** `x` rounded to the nearest f16 value, as a number (the f16 path's numerics, emulated in f32). */
export function roundToF16(x: number): number {
  return f16Value(f16Bits(x));
}

/** Where an array would overflow f16: the first finite element whose rounding is ±Inf, or null. */
export function findF16Overflow(data: Float32Array): { index: number; value: number } | null {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // |v| >= 65520 rounds to infinity; NaN and ±Inf weights are refused by the model loader already.
    if (Math.abs(v) >= F16_MAX + 16 && Number.isFinite(v)) return { index: i, value: v };
  }
  return null;
}

/** Thrown when a weight cannot be stored as f16; the message names the tensor and the fix. */
export class F16RangeError extends RangeError {
  override name = 'F16RangeError';
}

/**
 * Checks that `data` fits f16's range, naming `tensor` when it does not. Weights beyond ±65504 are
 * refused rather than clamped: clamping would silently change the model, and such weights mean the
 * model was not made for f16 (its own f16 checkpoints could not hold them either).
 */
export function checkF16Range(tensor: string, data: Float32Array): void {
  const bad = findF16Overflow(data);
  if (bad) {
    throw new F16RangeError(
      `precision "f16-weights": weight "${tensor}" has the value ${bad.value} at element ${bad.index}, ` +
        `beyond f16's largest value ±${F16_MAX}, so it cannot be stored as f16. ` +
        'Set precision to "f32" for this model.',
    );
  }
}

/** A copy of `data` with every element rounded to f16 (values kept as f32: the CPU emulation). */
export function roundArrayToF16(data: Float32Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = f16Value(f16Bits(data[i]));
  return out;
}

/** The f16 bit patterns of `data` (what the WebGPU backend uploads into an f16 buffer). */
export function packF16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = f16Bits(data[i]);
  return out;
}

/** f16 bit patterns back to f32 values (reading an f16 buffer). */
export function unpackF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16Value(bits[i]);
  return out;
}
