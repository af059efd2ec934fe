/**
 * The host f16 conversions (engine/precision/f16.ts) against references that do not share their
 * code: IEEE 754 binary16 bit patterns known from the standard, and a brute-force nearest-value
 * search over all 63,488 finite f16 values, decoded with their own formula (sign x 2^(e-15) x 1.m).
 */
import { describe, expect, it } from 'vitest';
import {
  checkF16Range,
  F16RangeError,
  f16Bits,
  f16Value,
  packF16,
  roundArrayToF16,
  roundToF16,
  unpackF16,
} from '../../src/engine/precision/f16.ts';
import { decodeReference, roundReference } from './f16-reference.ts';

describe('f16 bit patterns', () => {
  it('rounds known values to their IEEE binary16 patterns', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [1 / 3, 0x3555], // 0.333251953125: 1/3 rounds down
      [0.1, 0x2e66],
      [65504, 0x7bff], // largest finite
      [65519, 0x7bff], // just under the half-way point still rounds to 65504
      [65520, 0x7c00], // the half-way point rounds to infinity (ties to even: 0x7c00 is even)
      [-65520, 0xfc00],
      [1e9, 0x7c00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // half of it: a tie, to the even pattern 0
      [1.5 * 2 ** -25, 0x0001], // above the half-way point
      [3 * 2 ** -25, 0x0002], // 1.5 subnormal ulps: tie to even (2)
      [5 * 2 ** -25, 0x0002], // 2.5 ulps: tie to even (2)
      [1 + 2 ** -11, 0x3c00], // half an ulp above 1: tie to even (1.0)
      [1 + 3 * 2 ** -11, 0x3c02], // 1.5 ulps above 1: tie to even (1 + 2 ulps)
      [2047, 0x67ff],
      [2049, 0x6800], // tie between 2048 and 2050: 2048 (even)
      [2051, 0x6802], // tie between 2050 and 2052: 2052 (even)
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [x, bits] of cases) expect([x, f16Bits(x)]).toEqual([x, bits]);
  });

  it('keeps NaN a NaN', () => {
    const h = f16Bits(Number.NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x3ff).not.toBe(0);
    expect(f16Value(h)).toBeNaN();
  });

  it('decodes every pattern as the standard defines it', () => {
    for (let h = 0; h < 0x10000; h++) {
      const want = decodeReference(h);
      const got = f16Value(h);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else if (got !== want) expect([h, got]).toEqual([h, want]);
    }
  });

  it('every f16 value rounds to itself, and every midpoint to its even neighbour', () => {
    for (let h = 0; h < 0x7c00; h++) {
      if (f16Bits(decodeReference(h)) !== h) expect([h, f16Bits(decodeReference(h))]).toEqual([h, h]);
      if (h + 1 < 0x7c00) {
        const mid = (decodeReference(h) + decodeReference(h + 1)) / 2; // exact in f32
        const even = h % 2 === 0 ? h : h + 1;
        if (f16Bits(mid) !== even) expect([h, mid, f16Bits(mid)]).toEqual([h, mid, even]);
        if (f16Bits(-mid) !== (even | 0x8000)) expect([h, -mid]).toEqual([h, even | 0x8000]);
      }
    }
  });

  it('agrees with the brute-force nearest-value search on 200,000 random f32 values of every scale', () => {
    // A seeded LCG: magnitudes from 2^-30 to 2^17, so subnormals, normals and overflow all occur.
    let s = 12345;
    const rand = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32;
    };
    let mismatches = 0;
    const first: unknown[] = [];
    for (let i = 0; i < 200_000; i++) {
      const x = Math.fround((rand() < 0.5 ? -1 : 1) * 2 ** (rand() * 47 - 30) * (1 + rand()));
      if (f16Bits(x) !== roundReference(x)) {
        mismatches++;
        if (first.length < 5) first.push([x, f16Bits(x), roundReference(x)]);
      }
    }
    expect(first).toEqual([]);
    expect(mismatches).toBe(0);
  });

  it('relative rounding error of normal values is at most 2^-11 (11 significant bits)', () => {
    let worst = 0;
    for (let i = 1; i < 100_000; i++) {
      const x = 2 ** -14 + i * 0.6543217;
      if (x > 65504) break;
      worst = Math.max(worst, Math.abs(roundToF16(x) - x) / x);
    }
    expect(worst).toBeLessThanOrEqual(2 ** -11);
    expect(worst).toBeGreaterThan(2 ** -12); // the bound is nearly reached: it is the right bound
  });
});

describe('f16 arrays', () => {
  it('pack, unpack and the emulation give the same values', () => {
    const data = Float32Array.from([0.1, -1 / 3, 65504, 2 ** -24, 3e-8, 1234.567]);
    const emulated = roundArrayToF16(data);
    expect(unpackF16(packF16(data))).toEqual(emulated);
    expect(Array.from(emulated)).toEqual(Array.from(data, (x) => decodeReference(roundReference(x))));
  });

  it('refuses a weight beyond ±65504, naming the tensor, the element and the fix', () => {
    expect(() => checkF16Range('h.0.mlp.c_fc.weight', Float32Array.from([1, 2, 65519.9]))).not.toThrow();
    const bad = Float32Array.from([1, -2, -70000]);
    expect(() => checkF16Range('h.0.mlp.c_fc.weight', bad)).toThrow(F16RangeError);
    expect(() => checkF16Range('h.0.mlp.c_fc.weight', bad)).toThrow(
      /weight "h\.0\.mlp\.c_fc\.weight" has the value -70000 at element 2.*Set precision to "f32"/,
    );
  });
});
