/**
 * Dropout with a seeded mask (PEFT's lora_dropout on the adapter input). Element e of the output is
 * x[e] / (1 − p) when it is kept, else 0. Whether it is kept depends only on (seed, salt, e) through
 * an integer hash that the CPU and WGSL kernels compute identically in u32 arithmetic, so both
 * backends drop the same elements, bit for bit. `seed` is an i32 [1] input (a new one per training
 * micro-batch, fed by the caller); `salt` tells the layers of one graph apart. The backward pass is
 * dropout of the gradient with the same seed, salt and p: the same mask, the same 1 / (1 − p).
 */
import { check, type ShapeRules } from '../shape.ts';

export interface DropoutAttrs {
  /** x [...] (f32), seed [1] (i32) -> out [...]: x / (1 − p) where kept, else 0. */
  dropout: { p: number; salt: number };
}

/** Kept when the hash's top 24 bits are >= this: p rounded to a multiple of 2^-24. */
export function dropoutThreshold(p: number): number {
  return Math.round(p * 2 ** 24);
}

/** The scale a kept element gets, as the f32 both backends multiply by. */
export function dropoutScale(p: number): number {
  return Math.fround(1 / (1 - p));
}

/** lowbias32 (C. Wellons' integer hash), in u32 arithmetic: the same bits as the WGSL `drop_mix`. */
function mix(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The salt's part of the key (the host hashes it once; the seed's part changes per run). */
export function dropoutSaltMix(salt: number): number {
  return mix(salt >>> 0);
}

/** The per-(seed, salt) key of a launch. */
export function dropoutKey(seed: number, salt: number): number {
  return mix((seed >>> 0) ^ dropoutSaltMix(salt));
}

/** Whether element e is kept. */
export function dropoutKeeps(key: number, e: number, threshold: number): boolean {
  return mix(key ^ (e >>> 0)) >>> 8 >= threshold;
}

export const DROPOUT_WGSL = `
fn drop_mix(v: u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}
`;

export const dropoutShapes: ShapeRules<DropoutAttrs> = {
  dropout: ([x, seed], { p }) => {
    check(
      seed.dtype === 'i32' && seed.shape.length === 1 && seed.shape[0] === 1,
      () => 'dropout: seed must be i32 [1]',
    );
    check(p >= 0 && p < 1, () => `dropout: p must be in [0, 1) (got ${p})`);
    return x.shape;
  },
};
