/**
 * Paired comparison of two runs that answered the same held-out items against the same baseline
 * (issue 12, item 4). Per item each run has an outcome against the baseline: 1 (win), 0.5 (tie) or
 * 0 (loss). The quantity reported is the difference of win-rates b − a, which equals the mean of
 * the per-item differences outcome_b − outcome_a; because both runs face the same items, item
 * difficulty cancels in that difference, which is why a paired analysis separates runs that two
 * independent intervals cannot.
 *
 * - Interval: paired bootstrap percentile interval over items, and over seeds when several were
 *   run (./bootstrap.ts; default scheme 'crossed': seeds and items resampled together).
 * - p-value: exact two-sided sign-flip permutation test (./sign-flip.ts): on the per-item differences
 *   when one seed was run; on each seed's summed difference when several were, so that, like the
 *   crossed bootstrap, it counts seed-to-seed variance and the two agree on whether 0 is plausible.
 * Both are deterministic: the bootstrap draws from the seeded Rng (pass a seed derived from the
 * spec's seed), the p-value draws nothing.
 */
import {
  type BootstrapOptions,
  type BootstrapScheme,
  bootstrapMeans,
  DEFAULT_BOOTSTRAP_DRAWS,
  percentileInterval,
} from './bootstrap.ts';
import { signFlipPValue, signFlipPValueOfSums } from './sign-flip.ts';

/** Outcomes of one run: per seed, per item (1, 0.5 or 0). One seed may be given as a flat list. */
export type OutcomeTable = readonly (readonly number[])[] | readonly number[];

export interface PairedComparison {
  /** Win-rate of b minus win-rate of a, pooled over seeds and items (a fraction in [−1, 1]). */
  difference: number;
  ci95: [number, number];
  pValue: number;
  nItems: number;
  nSeeds: number;
  winRates: { a: number; b: number };
  /** b − a for each seed, in seed order (the "per-seed points" of the lab's repeat view). */
  perSeed: number[];
  /** True when 0 lies inside ci95: the experiment cannot tell the runs apart. */
  intervalContainsZero: boolean;
  method: {
    bootstrap: BootstrapScheme;
    draws: number;
    seed: number;
    pValue: 'exact sign-flip over items' | 'exact sign-flip over seeds';
  };
}

export const OUTCOME_VALUES = [0, 0.5, 1] as const;

/** b − a with its paired interval and p-value. `opts.seed` should come from the spec (e.g. deriveSeed). */
export function comparePaired(a: OutcomeTable, b: OutcomeTable, opts: BootstrapOptions): PairedComparison {
  const ta = asTable(a, 'a');
  const tb = asTable(b, 'b');
  if (ta.length !== tb.length) {
    throw new Error(`paired comparison: run a has ${ta.length} seeds and run b ${tb.length}; give both the same seeds`);
  }
  const nItems = ta[0].length;
  for (const [name, t] of [
    ['a', ta],
    ['b', tb],
  ] as const) {
    for (const [s, row] of t.entries()) {
      if (row.length !== nItems) {
        throw new Error(
          `paired comparison: run ${name}, seed ${s} has ${row.length} items, seed 0 of run a has ${nItems}; every seed must answer the same held-out items`,
        );
      }
    }
  }
  const differences = ta.map((row, s) => row.map((x, i) => tb[s][i] - x));
  const perSeed = differences.map(mean);
  const difference = mean(perSeed);
  const ci95 = percentileInterval(bootstrapMeans(differences, opts));
  return {
    difference,
    ci95,
    pValue: ta.length > 1 ? signFlipPValueOfSums(differences.map(sum)) : signFlipPValue(differences[0]),
    nItems,
    nSeeds: ta.length,
    winRates: { a: mean(ta.map(mean)), b: mean(tb.map(mean)) },
    perSeed,
    intervalContainsZero: ci95[0] <= 0 && ci95[1] >= 0,
    method: {
      bootstrap: opts.scheme ?? 'crossed',
      draws: opts.draws ?? DEFAULT_BOOTSTRAP_DRAWS,
      seed: opts.seed,
      pValue: ta.length > 1 ? 'exact sign-flip over seeds' : 'exact sign-flip over items',
    },
  };
}

/** One held-out item of eval.json: each run's outcome against the baseline, by run label. */
export interface EvalOutcomeItem {
  outcomes: Readonly<Record<string, number>>;
}

/** The report's comparison entry (issue 12's `comparisons[]`), from per-seed eval items. */
export interface RunComparison extends PairedComparison {
  a: string;
  b: string;
}

/** Compares runs `a` and `b` over `perSeed[s]` = the eval items of seed s (same items, same order). */
export function compareRuns(
  a: string,
  b: string,
  perSeed: readonly (readonly EvalOutcomeItem[])[],
  opts: BootstrapOptions,
): RunComparison {
  if (perSeed.length === 0) throw new Error('compareRuns: no seeds given');
  const column = (label: string) =>
    perSeed.map((items, s) =>
      items.map((item, i) => {
        const v = item.outcomes[label];
        if (v === undefined) {
          const known = Object.keys(item.outcomes).join(', ') || 'none';
          throw new Error(`compareRuns: seed ${s}, item ${i} has no outcome for run "${label}" (runs: ${known})`);
        }
        return v;
      }),
    );
  return { a, b, ...comparePaired(column(a), column(b), opts) };
}

/** One plain sentence for the lab and the bench, e.g. "JPO − DPO: +3.1 points (95% interval …)". */
export function describeComparison(c: Pick<RunComparison, 'a' | 'b' | 'difference' | 'ci95' | 'pValue'>): string {
  const pts = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
  const p = c.pValue < 0.001 ? 'p < 0.001' : `p = ${c.pValue.toFixed(3)}`;
  const head = `${c.b} − ${c.a}: ${pts(c.difference)} points (95% interval ${pts(c.ci95[0])} to ${pts(c.ci95[1])}; ${p})`;
  if (c.ci95[0] <= 0 && c.ci95[1] >= 0)
    return `${head}. The interval contains 0: this experiment cannot tell the two runs apart.`;
  return `${head}. ${c.difference > 0 ? c.b : c.a} is better on these held-out items.`;
}

function asTable(t: OutcomeTable, name: string): number[][] {
  if (!Array.isArray(t) || t.length === 0) throw new Error(`paired comparison: run ${name} has no outcomes`);
  const table = (typeof t[0] === 'number' ? [t] : t) as readonly (readonly number[])[];
  return table.map((row, s) => {
    if (!Array.isArray(row) || row.length === 0) {
      throw new Error(`paired comparison: run ${name}, seed ${s} has no item outcomes`);
    }
    return row.map((x, i) => {
      if (x !== 0 && x !== 0.5 && x !== 1) {
        throw new Error(
          `paired comparison: run ${name}, seed ${s}, item ${i} has outcome ${JSON.stringify(x)}; use 1 (win), 0.5 (tie) or 0 (loss)`,
        );
      }
      return x;
    });
  });
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
