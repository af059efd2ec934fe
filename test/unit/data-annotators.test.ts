import { describe, expect, it } from 'vitest';
import { bradleyTerryAnnotator, type DEFAULT_ANNOTATOR } from '../../src/data/judges/annotator.ts';
import { appleOracleScore, applesOracle } from '../../src/data/judges/oracle.ts';
import { outcomeOf } from '../../src/data/pairing.ts';
import { pairForRun, pairingMechanism, planRunPairs } from '../../src/data/run-pairing.ts';
import { appleCandidates } from '../../src/data/tasks/apples-candidates.ts';
import type { Candidate } from '../../src/data/types.ts';

const I1 = 'Create a list of four fruits other than Apple';
// Oracle scores (hand-computed in data-apples.test.ts): GOOD 1, APPLE 4/5 (mentions Apple), GOOD2 1.
const GOOD = { instruction: I1, response: 'Orange, Blueberry, Kiwi, Banana' };
const APPLE = { instruction: I1, response: 'Apple, Orange, Banana, Grape' };
const GOOD2 = { instruction: I1, response: 'Kiwi, Mango, Pear, Fig' };
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Verdicts of annotators with seeds 0..n-1 on one question. */
async function tally(settings: Partial<typeof DEFAULT_ANNOTATOR>, a: Candidate, b: Candidate, n: number) {
  const counts = { a: 0, b: 0, tie: 0 };
  for (let seed = 0; seed < n; seed++)
    counts[(await bradleyTerryAnnotator({ seed, ...settings }).compare(a, b)).winner]++;
  return counts;
}

describe('Bradley–Terry annotator', () => {
  it('answers A with probability σ((sA − sB) / T) (frequency over 4000 seeds within 4 standard errors)', async () => {
    const n = 4000;
    for (const [temperature, a, b] of [
      [0.1, GOOD, APPLE],
      [0.2, APPLE, GOOD],
    ] as const) {
      const p = sigmoid((appleOracleScore(a).score - appleOracleScore(b).score) / temperature);
      const c = await tally({ temperature, positionBias: 0.5, tieMargin: 0.02 }, a, b, n);
      expect(c.tie).toBe(0);
      expect(Math.abs(c.a / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('when unsure (scores within the tie margin) names the first side with the position bias, else ties', async () => {
    const n = 4000;
    const c = await tally({ positionBias: 0.3 }, GOOD, GOOD2, n);
    expect(c.b).toBe(0);
    expect(Math.abs(c.a / n - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / n));
    expect(await tally({ positionBias: 0 }, GOOD, GOOD2, 50)).toEqual({ a: 0, b: 0, tie: 50 });
    // A margin wider than the difference (0.2) makes GOOD vs APPLE "cannot tell" too.
    expect((await tally({ positionBias: 0, tieMargin: 0.25 }, GOOD, APPLE, 50)).tie).toBe(50);
  });

  it('with temperature 0 always picks the higher score', async () => {
    expect(await tally({ temperature: 0 }, APPLE, GOOD, 200)).toEqual({ a: 0, b: 200, tie: 0 });
  });

  it('is deterministic per question whatever the asking order, and changes with the seed', async () => {
    const pool = appleCandidates({ seed: 2, nInstructions: 12 });
    const questions = planRunPairs(pool, { judgeCalls: 200, jointShare: 0.5, seed: 1 }).pairs;
    const ask = async (seed: number, order: typeof questions) => {
      const judge = bradleyTerryAnnotator({ seed, temperature: 0.2 });
      const out = new Map<string, string>();
      for (const q of order) out.set(JSON.stringify([q.a, q.b]), (await judge.compare(q.a, q.b)).winner);
      return [...out.entries()].sort();
    };
    const forward = await ask(5, questions);
    expect(await ask(5, [...questions].reverse())).toEqual(forward);
    expect(await ask(6, questions)).not.toEqual(forward);
  });

  it('gives readable reasons, the oracle scores, and rejects bad settings', async () => {
    const v = await bradleyTerryAnnotator({ seed: 1, temperature: 0 }).compare(APPLE, GOOD);
    expect(v).toEqual({
      winner: 'b',
      reason: 'A mentions Apple; B meets every constraint (picked the better side)',
      scores: [4 / 5, 1],
    });
    expect(() => bradleyTerryAnnotator({ seed: 1, positionBias: 1.5 })).toThrow(/positionBias must be a probability/);
    expect(() => bradleyTerryAnnotator({ seed: 1, temperature: -1 })).toThrow(/temperature must be a number >= 0/);
    expect(() => bradleyTerryAnnotator({ seed: 1, tieMargin: Number.NaN })).toThrow(/tieMargin/);
    expect(() => bradleyTerryAnnotator({ seed: 0.5 })).toThrow(/seed must be an integer/);
  });

  it('is a pairwise judge; the oracle (a scorer) is a score comparison', () => {
    expect(bradleyTerryAnnotator({ seed: 1 }).basis).toBe('pairwise');
    expect(applesOracle().basis).toBe('score-comparison');
  });
});

describe("asked in both orders, a position-biased annotator disagrees with itself; the paper's filter drops it", () => {
  const pool = appleCandidates({ seed: 1, nInstructions: 64 });

  it('counts inconsistent verdicts per kind, drops them, and the counts match a recount', async () => {
    const judge = bradleyTerryAnnotator({ seed: 3, temperature: 0, positionBias: 0.5 });
    const r = await pairForRun(pool, judge, { judgeCalls: 800, jointShare: 0.5, seed: 7 });
    // Independent recount: ask again, classify each pair by hand.
    const recount = { kept: 0, ties: 0, inconsistent: 0 };
    for (const p of r.judged) {
      const [x, y] = [(await judge.compare(p.a, p.b)).winner, (await judge.compare(p.b, p.a)).winner];
      if (x === 'tie' || y === 'tie') recount.ties++;
      else if (x === y) recount.inconsistent++;
      else recount.kept++;
    }
    expect(recount.inconsistent).toBeGreaterThan(0);
    expect(r.counts.inconsistent).toBe(recount.inconsistent);
    expect(r.counts.ties.conditional + r.counts.ties.joint).toBe(recount.ties);
    expect(r.rows).toHaveLength(recount.kept);
    expect(r.counts.inconsistentByKind.conditional + r.counts.inconsistentByKind.joint).toBe(r.counts.inconsistent);
    // With temperature 0 only exact score ties are unsure: every inconsistent pair is one, and (a, a) was answered.
    for (const p of r.judged.filter((j) => j.outcome === 'inconsistent')) {
      expect(appleOracleScore(p.a).score).toBeCloseTo(appleOracleScore(p.b).score, 9);
      expect([p.first.winner, p.second.winner]).toEqual(['a', 'a']);
    }
    // No kept row is an inconsistent pair.
    const dropped = new Set(
      r.judged.filter((j) => j.outcome === 'inconsistent').map((j) => JSON.stringify([j.a, j.b].sort())),
    );
    for (const row of r.rows) {
      const sides = [
        { instruction: row.i_chosen, response: row.r_chosen },
        { instruction: row.i_reject, response: row.r_reject },
      ];
      expect(dropped.has(JSON.stringify(sides.sort()))).toBe(false);
    }
  });

  it('without position bias or noise nothing is inconsistent', async () => {
    const judge = bradleyTerryAnnotator({ seed: 3, temperature: 0, positionBias: 0 });
    const r = await pairForRun(pool, judge, { judgeCalls: 800, jointShare: 0.5, seed: 7 });
    expect(r.counts.inconsistent).toBe(0);
    // Then it agrees with the oracle exactly.
    const oracle = await pairForRun(pool, applesOracle(), { judgeCalls: 800, jointShare: 0.5, seed: 7 });
    expect(r.rows).toEqual(oracle.rows);
    expect(r.judged.map((j) => j.outcome)).toEqual(oracle.judged.map((j) => outcomeOf(j.first, j.second)));
  });

  it('with the defaults: joint comparisons tie less often than conditional ones, and kept pairs are mostly right', async () => {
    const judge = bradleyTerryAnnotator({ seed: 3 });
    const dpo = await pairForRun(pool, judge, { judgeCalls: 800, jointShare: 0, seed: 7 });
    const jpo = await pairForRun(pool, judge, { judgeCalls: 800, jointShare: 0.5, seed: 7 });
    const m = pairingMechanism(jpo.counts);
    // Measured (pool: 64 instructions, seed 1; 800 calls): conditional ties 26%, joint 14%.
    expect(m.tieRate.joint as number).toBeLessThan((m.tieRate.conditional as number) - 0.05);
    expect(jpo.counts.inconsistent).toBeGreaterThan(0.05 * 400);
    expect(dpo.counts.verdictBasis).toBe('pairwise');
    for (const r of [dpo, jpo]) {
      const wrong = r.rows.filter(
        (row) =>
          appleOracleScore({ instruction: row.i_chosen, response: row.r_chosen }).score <
          appleOracleScore({ instruction: row.i_reject, response: row.r_reject }).score,
      ).length;
      expect(wrong).toBeGreaterThan(0);
      expect(wrong / r.rows.length).toBeLessThan(0.08);
    }
  });
});
