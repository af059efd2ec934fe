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
 * With several seeds, comparePaired flips whole seeds instead (signFlipPValueOfSums on each seed's
 * summed difference): the seed is the unit that was randomised (runs a and b of one seed share data,
 * initial weights and order), and flipping (seed, item) cells independently would treat the same item
 * under ten seeds as ten independent items, ignore seed-to-seed variance, and give p < 0.001 where the
 * crossed bootstrap interval, which resamples seeds, still contains 0.
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

/**
 * Two-sided exact sign-flip p-value for values on the half-point lattice of any size (e.g. each
 * seed's summed difference): P(|Σ ε_s v_s| ≥ |Σ v_s|) over independent fair signs, counted exactly
 * by convolution over the half-point sums (O(n · Σ|v|) work). 2 seeds can at best give p = 0.5 and
 * 10 seeds p ≈ 0.002: a claim about training runs needs enough runs.
 */
export function signFlipPValueOfSums(values: readonly number[]): number {
  const units: number[] = [];
  let observed = 0;
  for (const [k, v] of values.entries()) {
    const half = Math.round(2 * v);
    if (!Number.isFinite(v) || Math.abs(2 * v - half) > 1e-6) {
      throw new Error(`signFlipPValueOfSums: value ${k} is ${v}; sums of outcome differences are multiples of 0.5`);
    }
    if (half !== 0) units.push(Math.abs(half));
    observed += half;
  }
  const t = Math.abs(observed);
  if (t === 0) return 1;
  const total = units.reduce((sum, u) => sum + u, 0);
  // prob[s + total] = P(flipped sum = s), built one value at a time (each sign has probability ½).
  let prob = new Float64Array(2 * total + 1);
  prob[total] = 1;
  for (const u of units) {
    const next = new Float64Array(prob.length);
    for (let s = 0; s < prob.length; s++) {
      if (prob[s] === 0) continue;
      next[s + u] += prob[s] / 2;
      next[s - u] += prob[s] / 2;
    }
    prob = next;
  }
  // P(S ≥ t), summed from the top so small tails keep their precision, doubled by symmetry.
  let upper = 0;
  for (let s = 2 * total; s >= total + t; s--) upper += prob[s];
  return Math.min(1, 2 * upper);
}

function logFactorials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) out[k] = out[k - 1] + Math.log(k);
  return out;
}
