/**
 * The sign-flip (paired permutation) test on per-item differences d = outcome(b) − outcome(a),
 * outcomes being 1, 0.5 or 0, so every d is one of −1, −0.5, 0, 0.5, 1.
 *
 * Null hypothesis: item by item, a's and b's outcomes are exchangeable (swapping the two runs' labels
 * on any item is as likely as not), so each non-zero d is equally likely to carry either sign. The
 * statistic is the sum of d (equivalently the mean difference); the two-sided p-value is
 * P(|Σ ε_i d_i| ≥ |Σ d_i|) over independent fair signs ε_i.
 *
 * Exact for any number of items, no Monte Carlo: in half-points the |d| are 1 (k1 items, a tie
 * against a win or loss) or 2 (k2 items, a win against a loss), so the flipped sum is
 * (2j − k1) + 2(2l − k2) with j ~ Binomial(k1, ½) and l ~ Binomial(k2, ½) independent, and the
 * p-value is a finite sum of binomial probabilities (O(k1 + k2) terms). Zero differences carry
 * no sign and drop out. This counts every one of the 2^(k1+k2) sign vectors, as full enumeration
 * would, without visiting them.
 *
 * With several seeds every (seed, item) cell is flipped independently: the test asks whether the
 * trained models differ on the item population; seed-to-seed training variance is the bootstrap's job.
 */

/** Two-sided exact sign-flip p-value for differences on the half-point lattice (see the header). */
export function signFlipPValue(differences: readonly number[]): number {
  let k1 = 0;
  let k2 = 0;
  let observed = 0;
  for (const [k, d] of differences.entries()) {
    const half = Math.round(2 * d);
    if (Math.abs(2 * d - half) > 1e-9 || Math.abs(half) > 2) {
      throw new Error(
        `signFlipPValue: difference ${k} is ${d}; differences of outcomes 1, 0.5 or 0 are −1, −0.5, 0, 0.5 or 1`,
      );
    }
    if (Math.abs(half) === 1) k1++;
    else if (Math.abs(half) === 2) k2++;
    observed += half;
  }
  const t = Math.abs(observed);
  if (t === 0) return 1;
  // P(S ≥ t), doubled by symmetry (t > 0, so the two tails do not overlap).
  const logFact = logFactorials(Math.max(k1, k2));
  const pmf = (k: number, n: number) => Math.exp(logFact[n] - logFact[k] - logFact[n - k] - n * Math.LN2);
  // tail[j] = P(Binomial(k1, ½) ≥ j), summed from the top so small tails keep their precision.
  const tail = new Float64Array(k1 + 2);
  for (let j = k1; j >= 0; j--) tail[j] = tail[j + 1] + pmf(j, k1);
  let upper = 0;
  for (let l = 0; l <= k2; l++) {
    // Smallest j with (2j − k1) + 2(2l − k2) ≥ t.
    const jMin = Math.max(0, Math.ceil((t + k1 - 2 * (2 * l - k2)) / 2));
    if (jMin <= k1) upper += pmf(l, k2) * tail[jMin];
  }
  return Math.min(1, 2 * upper);
}

function logFactorials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) out[k] = out[k - 1] + Math.log(k);
  return out;
}
