/**
 * Win-rates as the paper reports them: every comparison is a win (1), a tie (0.5) or a loss (0),
 * and the win-rate is the mean, (wins + ties / 2) / n.
 *
 * The 95% interval is the Wilson score interval on the tie-adjusted count s = wins + ties / 2 out
 * of n. Why Wilson: it stays inside [0, 1], behaves well at small n and at rates near 0 or 1 (where
 * the normal "Wald" interval collapses to a point), and needs no simulation, so the same numbers
 * come out in the browser, the CLI and the benchmark. Counting a tie as half a success is the
 * usual approximation; it makes the interval slightly conservative (a tie has less variance than a
 * coin flip).
 */
import type { WinRate } from './events.ts';

export type Outcome = 'win' | 'tie' | 'loss';

/** The two-sided 95% normal quantile, Φ⁻¹(0.975). */
export const Z_95 = 1.959963984540054;

/**
 * Wilson score interval for `successes` out of `n` (successes may be fractional, e.g. with ties).
 * With n = 0 there is no information: [0, 1].
 */
export function wilsonInterval(successes: number, n: number, z: number = Z_95): { low: number; high: number } {
  if (!(Number.isFinite(n) && n >= 0)) throw new Error(`wilsonInterval: n must be a count >= 0, got ${n}`);
  if (!(successes >= 0 && successes <= n)) {
    throw new Error(`wilsonInterval: successes must be in [0, n = ${n}], got ${successes}`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** Win-rate with its 95% Wilson interval from counts; with n = 0 the rate is 0.5 (no evidence either way). */
export function winRateFromCounts(wins: number, ties: number, losses: number): WinRate {
  for (const [name, v] of [
    ['wins', wins],
    ['ties', ties],
    ['losses', losses],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`winRate: ${name} must be an integer >= 0, got ${v}`);
  }
  const n = wins + ties + losses;
  const s = wins + ties / 2;
  const { low, high } = wilsonInterval(s, n);
  return { rate: n === 0 ? 0.5 : s / n, low, high, wins, ties, losses, n };
}

export function winRate(outcomes: readonly Outcome[]): WinRate {
  let wins = 0;
  let ties = 0;
  let losses = 0;
  for (const o of outcomes) {
    if (o === 'win') wins++;
    else if (o === 'tie') ties++;
    else if (o === 'loss') losses++;
    else throw new Error(`winRate: unknown outcome ${JSON.stringify(o)} (use win, tie or loss)`);
  }
  return winRateFromCounts(wins, ties, losses);
}
