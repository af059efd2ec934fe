/**
 * Win-rates and the paper's both-orders evaluation, against independent references:
 * - the Wilson score interval against the published values of Newcombe (1998), "Two-sided
 *   confidence intervals for the single proportion", Statistics in Medicine 17, Table I, method 3;
 * - the tie rule (a tie in either order, or inconsistent verdicts, counts 0.5) with hand-made
 *   judges whose verdicts are known in advance, and the win-rate counted by hand.
 */
import { describe, expect, it } from 'vitest';
import type { Judge, Verdict, Winner } from '../../src/data/judges/types.ts';
import type { Candidate } from '../../src/data/types.ts';
import { compareBothOrders, evalReport, judgeAnswers } from '../../src/lab/evaluate.ts';
import { wilsonInterval, winRate, winRateFromCounts } from '../../src/lab/winrate.ts';

describe('Wilson score interval', () => {
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0.0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i of %i matches Newcombe (1998), Table I', (s, n, low, high) => {
    const ci = wilsonInterval(s, n);
    expect(ci.low).toBeCloseTo(low, 4);
    expect(ci.high).toBeCloseTo(high, 4);
  });

  it('is symmetric: s of n mirrors n - s of n', () => {
    const a = wilsonInterval(7, 19);
    const b = wilsonInterval(12, 19);
    expect(a.low).toBeCloseTo(1 - b.high, 12);
    expect(a.high).toBeCloseTo(1 - b.low, 12);
  });

  it('gives [0, 1] without data and rejects impossible counts', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    expect(() => wilsonInterval(5, 4)).toThrow(/successes/);
    expect(() => wilsonInterval(-1, 4)).toThrow(/successes/);
  });
});

describe('win-rate', () => {
  it('counts a tie as half a win, with the interval on the tie-adjusted count', () => {
    const r = winRate(['win', 'win', 'win', 'tie', 'tie', 'loss']);
    expect(r).toMatchObject({ wins: 3, ties: 2, losses: 1, n: 6 });
    expect(r.rate).toBeCloseTo(4 / 6, 12);
    // Wilson for s = 4 of 6 (hand-computed: 0.299993, 0.903229).
    expect(r.low).toBeCloseTo(0.299993, 5);
    expect(r.high).toBeCloseTo(0.903229, 5);
  });

  it('is 0.5 with no comparisons', () => {
    expect(winRateFromCounts(0, 0, 0)).toEqual({ rate: 0.5, low: 0, high: 1, wins: 0, ties: 0, losses: 0, n: 0 });
  });
});

/** A judge answering from a table keyed by "A response|B response"; records every call. */
function tableJudge(table: Record<string, Winner>, scores?: Record<string, number>) {
  const calls: string[] = [];
  const judge: Judge = {
    name: 'table',
    async compare(a: Candidate, b: Candidate): Promise<Verdict> {
      const key = `${a.response}|${b.response}`;
      calls.push(key);
      const winner = table[key];
      if (!winner) throw new Error(`no verdict for ${key}`);
      return { winner };
    },
  };
  if (scores) judge.score = async (c) => ({ score: scores[c.response] });
  return { judge, calls };
}

describe('both-orders comparison', () => {
  it('asks (answer, baseline) then (baseline, answer) and applies the tie rule', async () => {
    const { judge, calls } = tableJudge({
      'good|base': 'a', // consistent win
      'base|good': 'b',
      'bad|base': 'b', // consistent loss
      'base|bad': 'a',
      'biased|base': 'a', // position bias: always "a" -> inconsistent -> tie
      'base|biased': 'a',
      'even|base': 'tie', // a tie in one order -> tie
      'base|even': 'b',
    });
    expect((await compareBothOrders(judge, 'q', 'good', 'base')).outcome).toBe('win');
    expect(calls).toEqual(['good|base', 'base|good']);
    expect((await compareBothOrders(judge, 'q', 'bad', 'base')).outcome).toBe('loss');
    expect((await compareBothOrders(judge, 'q', 'biased', 'base')).outcome).toBe('tie');
    expect((await compareBothOrders(judge, 'q', 'even', 'base')).outcome).toBe('tie');
  });

  it('judgeAnswers: hand-counted win-rate and mean scores', async () => {
    const { judge } = tableJudge(
      {
        'good|base': 'a',
        'base|good': 'b',
        'bad|base': 'b',
        'base|bad': 'a',
        'biased|base': 'a',
        'base|biased': 'a',
      },
      { good: 1, bad: 0.2, biased: 0.5, base: 0.6 },
    );
    const answers = ['good', 'good', 'bad', 'biased', 'good'];
    const judged = await judgeAnswers(
      judge,
      answers.map((_, i) => `q${i}`),
      answers,
      answers.map(() => 'base'),
    );
    // 3 wins, 1 tie, 1 loss: (3 + 0.5) / 5.
    expect(judged.winRate).toMatchObject({ wins: 3, ties: 1, losses: 1, n: 5 });
    expect(judged.winRate.rate).toBeCloseTo(0.7, 12);
    const ci = wilsonInterval(3.5, 5);
    expect(judged.winRate.low).toBe(ci.low);
    expect(judged.meanScore).toBeCloseTo((1 + 1 + 0.2 + 0.5 + 1) / 5, 12);
    expect(judged.baselineMeanScore).toBeCloseTo(0.6, 12);
    expect(judged.items.map((x) => x.outcome)).toEqual(['win', 'win', 'loss', 'tie', 'win']);
    const report = evalReport('JPO', 'gold', judged);
    expect(report).toMatchObject({ run: 'JPO', baseline: 'gold', meanScore: judged.meanScore });
  });

  it('rejects mismatched answer lists', async () => {
    const { judge } = tableJudge({});
    await expect(judgeAnswers(judge, ['q'], ['a', 'b'], ['c'])).rejects.toThrow(/one of each per item/);
  });
});
