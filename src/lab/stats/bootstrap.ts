/**
 * Paired bootstrap percentile interval for the mean difference b − a over a seeds × items table of
 * per-item differences d[s][i] = outcome_b − outcome_a (both runs of seed s answered item i).
 *
 * Schemes (one replicate each; `draws` replicates, percentile interval of their means):
 * - 'crossed' (default): draw S seed indices with replacement, then I item indices with replacement,
 *   and average d over every drawn (seed, item) cell. The same held-out items are answered under
 *   every seed, so an item that favours b under one seed tends to favour it under all; resampling
 *   items once for all seeds keeps that correlation and is the honest (wider) choice. This is
 *   jpo.md's "bootstrap items and seeds together".
 * - 'nested': draw S seed indices with replacement, and for each drawn seed its own I item indices
 *   ("resample seeds, then items within seed"); narrower when items carry a shared effect.
 * With one seed both schemes are the plain paired bootstrap over items (the seed draw is always 0).
 *
 * Random stream, exactly (so an independent implementation can replay it): rng = new Rng(seed);
 * per replicate, crossed: S calls rng.int(S), then I calls rng.int(I); nested: per seed slot, one
 * rng.int(S) then I calls rng.int(I). Percentiles interpolate linearly between order statistics
 * (R's type 7): q(p) = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) with h = (draws − 1)·p.
 */
import { Rng } from '../../engine/index.ts';

export const BOOTSTRAP_SCHEMES = ['crossed', 'nested'] as const;
export type BootstrapScheme = (typeof BOOTSTRAP_SCHEMES)[number];

export interface BootstrapOptions {
  seed: number;
  /** Replicates (default 10000: the 2.5% and 97.5% percentiles then move by well under a point between seeds). */
  draws?: number;
  scheme?: BootstrapScheme;
}

export const DEFAULT_BOOTSTRAP_DRAWS = 10_000;

/** The replicate means, in draw order (see the header for the random stream). */
export function bootstrapMeans(differences: readonly (readonly number[])[], opts: BootstrapOptions): Float64Array {
  const draws = opts.draws ?? DEFAULT_BOOTSTRAP_DRAWS;
  const scheme = opts.scheme ?? 'crossed';
  if (!(Number.isInteger(draws) && draws >= 1))
    throw new Error(`bootstrap draws must be an integer >= 1, got ${draws}`);
  if (!BOOTSTRAP_SCHEMES.includes(scheme)) {
    throw new Error(`bootstrap scheme must be one of ${BOOTSTRAP_SCHEMES.join(', ')}, got ${JSON.stringify(scheme)}`);
  }
  const nSeeds = differences.length;
  const nItems = differences[0]?.length ?? 0;
  if (nSeeds === 0 || nItems === 0) throw new Error('bootstrap needs at least one seed and one item');
  const rng = new Rng(opts.seed);
  const out = new Float64Array(draws);
  const seeds = new Int32Array(nSeeds);
  const items = new Int32Array(nItems);
  for (let r = 0; r < draws; r++) {
    let total = 0;
    if (scheme === 'crossed') {
      for (let s = 0; s < nSeeds; s++) seeds[s] = rng.int(nSeeds);
      for (let i = 0; i < nItems; i++) items[i] = rng.int(nItems);
      for (let s = 0; s < nSeeds; s++) total += meanAt(differences[seeds[s]], items);
    } else {
      for (let s = 0; s < nSeeds; s++) {
        const row = differences[rng.int(nSeeds)];
        for (let i = 0; i < nItems; i++) items[i] = rng.int(nItems);
        total += meanAt(row, items);
      }
    }
    out[r] = total / nSeeds;
  }
  return out;
}

/** Percentile interval [q(α/2), q(1 − α/2)] of the replicate means (default α = 0.05). */
export function percentileInterval(means: Float64Array, alpha = 0.05): [number, number] {
  const sorted = Float64Array.from(means).sort();
  return [quantile(sorted, alpha / 2), quantile(sorted, 1 - alpha / 2)];
}

/** Type-7 quantile of an ascending array. */
export function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function meanAt(row: readonly number[], items: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < items.length; i++) sum += row[items[i]];
  return sum / items.length;
}
