import { describe, expect, it } from 'vitest';
import { emaSmooth } from '../../src/ui/lib/smoothing.ts';

/** The debiased EMA written as an explicit weighted mean: sum_i w^(n-i) (1-w) y_i / (1 - w^n). */
function weightedMean(values: number[], w: number, upTo: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i <= upTo; i++) {
    const weight = w ** (upTo - i);
    num += weight * values[i];
    den += weight;
  }
  return num / den;
}

describe('emaSmooth (TensorBoard)', () => {
  const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9];

  it('equals the normalised exponentially weighted mean of the points so far', () => {
    for (const w of [0.3, 0.6, 0.9, 0.99]) {
      const out = emaSmooth(values, w);
      for (let i = 0; i < values.length; i++) expect(out[i]).toBeCloseTo(weightedMean(values, w, i), 10);
    }
  });

  it('weight 0 is the raw series; the first point is never dragged towards 0', () => {
    expect(emaSmooth(values, 0)).toEqual(values);
    expect(emaSmooth(values, 0.95)[0]).toBeCloseTo(3, 12);
  });

  it('keeps constant series constant and passes non-finite values through', () => {
    expect(emaSmooth([2, 2, 2], 0.9)).toEqual([2, 2, 2]);
    const out = emaSmooth([1, Number.NaN, 3], 0.5);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBeCloseTo(weightedMean([1, 3], 0.5, 1), 12);
  });

  it('rejects weights outside [0, 1)', () => {
    expect(() => emaSmooth(values, 1)).toThrow(/\[0, 1\)/);
    expect(() => emaSmooth(values, -0.1)).toThrow(/\[0, 1\)/);
  });
});
