import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/random.ts';
import { bootstrapMeans } from '../../src/lab/stats/bootstrap.ts';
import { comparePaired, compareRuns, describeComparison } from '../../src/lab/stats/paired.ts';
import { signFlipPValue } from '../../src/lab/stats/sign-flip.ts';
import { winRate } from '../../src/lab/winrate.ts';

// Fixed outcomes (1 win, 0.5 tie, 0 loss against the baseline) of two runs on 14 items.
const A = [1, 0.5, 0, 1, 1, 0, 0.5, 1, 0, 1, 0.5, 1, 1, 0];
const B = [1, 1, 0.5, 1, 0, 1, 1, 1, 0.5, 1, 1, 0.5, 1, 1];

/** Independent: enumerate every sign vector of the non-zero differences. */
function bruteForcePValue(d: number[]): number {
  const nz = d.filter((x) => x !== 0);
  const obs = Math.abs(nz.reduce((s, x) => s + x, 0));
  let hits = 0;
  for (let mask = 0; mask < 1 << nz.length; mask++) {
    let s = 0;
    for (let k = 0; k < nz.length; k++) s += mask & (1 << k) ? -nz[k] : nz[k];
    if (Math.abs(s) >= obs - 1e-9) hits++;
  }
  return hits / 2 ** nz.length;
}

/** Independent: exact counts of the flipped sum by convolution over items (BigInt, half-point units). */
function convolutionPValue(d: number[]): number {
  let counts = new Map<number, bigint>([[0, 1n]]);
  let n = 0;
  for (const x of d) {
    const m = Math.round(2 * x);
    if (m === 0) continue;
    n++;
    const next = new Map<number, bigint>();
    for (const [s, c] of counts) {
      next.set(s + m, (next.get(s + m) ?? 0n) + c);
      next.set(s - m, (next.get(s - m) ?? 0n) + c);
    }
    counts = next;
  }
  const obs = Math.abs(d.reduce((s, x) => s + Math.round(2 * x), 0));
  let hits = 0n;
  for (const [s, c] of counts) if (Math.abs(s) >= obs) hits += c;
  // hits / 2^n with enough precision for a double.
  const scale = 10n ** 30n;
  return Number((hits * scale) / 2n ** BigInt(n)) / 1e30;
}

/** Independent replay of the documented bootstrap stream, then a sort-based type-7 percentile. */
function referenceInterval(d: number[][], seed: number, draws: number, scheme: 'crossed' | 'nested'): [number, number] {
  const rng = new Rng(seed);
  const S = d.length;
  const I = d[0].length;
  const means: number[] = [];
  for (let r = 0; r < draws; r++) {
    const cells: number[] = [];
    if (scheme === 'crossed') {
      const seeds = Array.from({ length: S }, () => rng.int(S));
      const items = Array.from({ length: I }, () => rng.int(I));
      for (const s of seeds) for (const i of items) cells.push(d[s][i]);
    } else {
      for (let k = 0; k < S; k++) {
        const s = rng.int(S);
        for (let j = 0; j < I; j++) cells.push(d[s][rng.int(I)]);
      }
    }
    means.push(cells.reduce((x, y) => x + y, 0) / cells.length);
  }
  means.sort((x, y) => x - y);
  const q = (p: number) => {
    const h = (draws - 1) * p;
    const f = Math.floor(h);
    return means[f] + (h - f) * (means[Math.min(f + 1, draws - 1)] - means[f]);
  };
  return [q(0.025), q(0.975)];
}

const label = (x: number) => (x === 1 ? 'win' : x === 0.5 ? 'tie' : 'loss');

describe('paired comparison on fixed outcomes', () => {
  it('difference is the difference of the two win-rates', () => {
    const c = comparePaired(A, B, { seed: 1, draws: 2000 });
    const expected = winRate(B.map(label)).rate - winRate(A.map(label)).rate;
    expect(c.difference).toBeCloseTo(expected, 12);
    expect(c.winRates.a).toBeCloseTo(winRate(A.map(label)).rate, 12);
    expect([c.nItems, c.nSeeds]).toEqual([14, 1]);
  });

  it('p-value equals brute-force enumeration of every sign vector', () => {
    const d = A.map((x, i) => B[i] - x);
    expect(d.filter((x) => x !== 0).length).toBeGreaterThan(8);
    expect(comparePaired(A, B, { seed: 1, draws: 10 }).pValue).toBeCloseTo(bruteForcePValue(d), 12);
    expect(signFlipPValue(d.map((x) => -x))).toBeCloseTo(bruteForcePValue(d), 12);
    // A case with wins against losses only, and one with a zero sum.
    expect(signFlipPValue([1, 1, 1, -1, 1, 0, 1])).toBeCloseTo(bruteForcePValue([1, 1, 1, -1, 1, 0, 1]), 12);
    expect(signFlipPValue([1, -1, 0.5, -0.5])).toBe(1);
  });

  it('with several seeds the p-value flips whole seeds: an exact convolution count over 3 seeds x 150 items', () => {
    const rng = new Rng(42);
    const draw = (pWin: number) => {
      const u = rng.next();
      return u < pWin ? 1 : u < pWin + 0.2 ? 0.5 : 0;
    };
    const a = [0, 1, 2].map(() => Array.from({ length: 150 }, () => draw(0.45)));
    const b = [0, 1, 2].map(() => Array.from({ length: 150 }, () => draw(0.55)));
    const c = comparePaired(a, b, { seed: 3, draws: 500 });
    const perSeedSums = a.map((row, s) => row.reduce((sum: number, x, i) => sum + b[s][i] - x, 0));
    const ref = convolutionPValue(perSeedSums);
    // 3 seeds, all favouring b: 2 of the 8 sign patterns are as extreme.
    expect(perSeedSums.every((x) => x > 0)).toBe(true);
    expect(ref).toBeCloseTo(0.25, 12);
    expect(c.pValue / ref).toBeCloseTo(1, 9);
    expect(c.method.pValue).toBe('exact sign-flip over seeds');
  });

  it('all items won by b: p = 2 / 2^n, interval collapses to the difference', () => {
    const n = 12;
    const c = comparePaired(new Array(n).fill(0), new Array(n).fill(1), { seed: 5, draws: 300 });
    expect(c.pValue).toBeCloseTo(2 / 2 ** n, 15);
    expect(c.ci95).toEqual([1, 1]);
    expect(c.intervalContainsZero).toBe(false);
    const same = comparePaired(A, A, { seed: 5, draws: 300 });
    expect([same.difference, same.pValue, ...same.ci95]).toEqual([0, 1, 0, 0]);
    expect(same.intervalContainsZero).toBe(true);
  });

  it('bootstrap interval equals an independent replay of the same seed stream (one seed)', () => {
    const d = [A.map((x, i) => B[i] - x)];
    for (const scheme of ['crossed', 'nested'] as const) {
      const c = comparePaired(A, B, { seed: 11, draws: 4001, scheme });
      const [lo, hi] = referenceInterval(d, 11, 4001, scheme);
      expect(c.ci95[0]).toBeCloseTo(lo, 12);
      expect(c.ci95[1]).toBeCloseTo(hi, 12);
      expect(c.ci95[0]).toBeLessThan(c.difference);
      expect(c.ci95[1]).toBeGreaterThan(c.difference);
    }
  });

  it('bootstrap interval equals an independent replay with 3 seeds, both schemes', () => {
    const rng = new Rng(8);
    const a = [0, 1, 2].map(() => Array.from({ length: 40 }, () => [0, 0.5, 1][rng.int(3)]));
    const b = [0, 1, 2].map(() => Array.from({ length: 40 }, () => [0, 0.5, 1][rng.int(3)]));
    const d = a.map((row, s) => row.map((x, i) => b[s][i] - x));
    for (const scheme of ['crossed', 'nested'] as const) {
      const c = comparePaired(a, b, { seed: 21, draws: 3000, scheme });
      const [lo, hi] = referenceInterval(d, 21, 3000, scheme);
      expect(c.ci95[0]).toBeCloseTo(lo, 12);
      expect(c.ci95[1]).toBeCloseTo(hi, 12);
      expect(c.nSeeds).toBe(3);
      expect(c.perSeed.map((x, s) => x - d[s].reduce((p, q) => p + q, 0) / 40)).toEqual([0, 0, 0]);
    }
  });

  it('one seed, differences 0 or 1: the bootstrap percentiles match the binomial quantiles', () => {
    // 30 items, b gains a whole point on 9 of them: replicate means are Binomial(30, 0.3) / 30.
    const n = 30;
    const a = new Array(n).fill(0);
    const b = a.map((_, i) => (i < 9 ? 1 : 0));
    const c = comparePaired(a, b, { seed: 2, draws: 20000 });
    const pmf = (k: number) => {
      let logc = 0;
      for (let j = 1; j <= k; j++) logc += Math.log((n - k + j) / j);
      return Math.exp(logc + k * Math.log(0.3) + (n - k) * Math.log(0.7));
    };
    const quantileK = (p: number) => {
      let cum = 0;
      for (let k = 0; k <= n; k++) {
        cum += pmf(k);
        if (cum >= p) return k;
      }
      return n;
    };
    expect(Math.abs(c.ci95[0] - quantileK(0.025) / n)).toBeLessThanOrEqual(1 / n + 1e-12);
    expect(Math.abs(c.ci95[1] - quantileK(0.975) / n)).toBeLessThanOrEqual(1 / n + 1e-12);
  });

  it('crossed resampling is wider than nested when items carry the same effect under every seed', () => {
    // Every one of 10 seeds: b wins items 0-12 and loses items 13-19 (an item effect shared by the seeds).
    const a = Array.from({ length: 10 }, () => Array.from({ length: 20 }, (_, i) => (i < 13 ? 0 : 1)));
    const b = a.map((row) => row.map((x) => 1 - x));
    const width = (scheme: 'crossed' | 'nested') => {
      const [lo, hi] = comparePaired(a, b, { seed: 4, draws: 4000, scheme }).ci95;
      return hi - lo;
    };
    expect(width('crossed')).toBeGreaterThan(1.8 * width('nested'));
    // Per-seed resampling alone would claim a clear difference; resampling items once does not.
    expect(comparePaired(a, b, { seed: 4, draws: 4000, scheme: 'nested' }).intervalContainsZero).toBe(false);
    expect(comparePaired(a, b, { seed: 4, draws: 4000, scheme: 'crossed' }).intervalContainsZero).toBe(true);
  });

  it('is deterministic for a seed and the interval moves a little with it', () => {
    const x = comparePaired(A, B, { seed: 9, draws: 999 });
    expect(comparePaired(A, B, { seed: 9, draws: 999 })).toEqual(x);
    const y = comparePaired(A, B, { seed: 10, draws: 999 });
    expect(y.ci95).not.toEqual(x.ci95);
    expect(y.pValue).toBe(x.pValue);
    expect(Array.from(bootstrapMeans([[1, 0, 0.5]], { seed: 3, draws: 5 }))).toEqual(
      Array.from(bootstrapMeans([[1, 0, 0.5]], { seed: 3, draws: 5 })),
    );
  });
});

describe('compareRuns reads eval.json items', () => {
  it('builds the report entry from outcomes[label] per seed', () => {
    const seed0 = A.map((x, i) => ({ outcomes: { DPO: x, JPO: B[i] } }));
    const seed1 = B.map((x, i) => ({ outcomes: { DPO: x, JPO: A[i] } }));
    const r = compareRuns('DPO', 'JPO', [seed0, seed1], { seed: 1, draws: 500 });
    expect(r.a).toBe('DPO');
    expect(r.nSeeds).toBe(2);
    expect(r.difference).toBeCloseTo(0, 12);
    expect(r.perSeed[0]).toBeCloseTo(-r.perSeed[1], 12);
    expect(r.intervalContainsZero).toBe(true);
    expect(describeComparison(r)).toMatch(
      /^JPO − DPO: [+−]0\.0 points \(95% interval −[\d.]+ to \+[\d.]+; p = 1\.000\)\. The interval contains 0/,
    );
  });

  it('says what is wrong with bad input', () => {
    expect(() => compareRuns('DPO', 'JPO', [[{ outcomes: { DPO: 1 } }]], { seed: 1 })).toThrow(
      /seed 0, item 0 has no outcome for run "JPO" \(runs: DPO\)/,
    );
    expect(() => comparePaired([1, 0.7], [1, 1], { seed: 1 })).toThrow(/item 1 has outcome 0.7; use 1 \(win\)/);
    expect(() =>
      comparePaired(
        [[1, 0]],
        [
          [1, 0],
          [0, 1],
        ],
        { seed: 1 },
      ),
    ).toThrow(/1 seeds and run b 2/);
    expect(() =>
      comparePaired(
        [[1, 0], [1]],
        [
          [1, 0],
          [0, 1],
        ],
        { seed: 1 },
      ),
    ).toThrow(/seed 1 has 1 items/);
    expect(() => comparePaired([1], [1], { seed: 1, draws: 0 })).toThrow(/draws must be an integer >= 1/);
  });

  it('describes a clear difference without hedging', () => {
    const text = describeComparison({ a: 'DPO', b: 'JPO', difference: 0.052, ci95: [0.01, 0.09], pValue: 0.0004 });
    expect(text).toBe(
      'JPO − DPO: +5.2 points (95% interval +1.0 to +9.0; p < 0.001). JPO is better on these held-out items.',
    );
  });
});
