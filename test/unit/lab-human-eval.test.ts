/**
 * Evaluation with a person as the judge (src/lab/evaluate.ts with the pipeline's blindOrder): the
 * side shown first is a seeded coin per (run, item), identical answers are ties without a question,
 * and the win-rate from a person who answers by a fixed rule is what the rule implies.
 */
import { describe, expect, it } from 'vitest';
import { HumanJudgeQueue } from '../../src/data/judges/human.ts';
import type { Winner } from '../../src/data/judges/types.ts';
import { judgeAnswers } from '../../src/lab/evaluate.ts';
import { blindOrder } from '../../src/lab/pipeline/index.ts';
import { type Outcome, winRate } from '../../src/lab/winrate.ts';

const ITEMS = 24;
const instructions = Array.from({ length: ITEMS }, (_, i) => `List ${i + 2} fruits other than Apple`);
// Every third answer equals the baseline; the others are longer or shorter by turns.
const baselines = instructions.map((_, i) => `Pear, Fig ${i}`);
const answers = baselines.map((b, i) => (i % 3 === 0 ? b : i % 3 === 1 ? `${b}, Kiwi, Lime` : 'Fig'));

/** A person who prefers the longer answer (a tie for equal lengths), answering each question later. */
function longerAnswerPerson(q: HumanJudgeQueue, shownFirst: string[]): void {
  q.subscribe(() => {
    setTimeout(() => {
      for (const p of q.pending()) {
        shownFirst.push(p.a.response);
        const winner: Winner =
          p.a.response.length > p.b.response.length ? 'a' : p.a.response.length < p.b.response.length ? 'b' : 'tie';
        q.answer(p.id, winner);
      }
    }, 0);
  });
}

describe('evaluation judged by a person', () => {
  it('picks the side shown first by a seeded coin: the same for a seed, both sides over the items', () => {
    const order = (seed: number, run: string) => instructions.map((_, i) => blindOrder(seed, run).baselineFirst(i));
    const a = order(7, 'dpo');
    expect(order(7, 'dpo')).toEqual(a);
    expect(a).toContain(true);
    expect(a).toContain(false);
    expect(order(7, 'jpo')).not.toEqual(a);
    expect(order(8, 'dpo')).not.toEqual(a);
  });

  it('asks each differing pair once, in the blind order, and counts by the person’s rule', async () => {
    const q = new HumanJudgeQueue();
    const shownFirst: string[] = [];
    longerAnswerPerson(q, shownFirst);
    const blind = blindOrder(3, 'dpo');
    const judged = await judgeAnswers(q, instructions, answers, baselines, { blind });

    const differing = instructions.map((_, i) => i).filter((i) => answers[i] !== baselines[i]);
    // Identical answers are never asked; every other item exactly once, with the coin's side first.
    expect(q.labels()).toHaveLength(differing.length);
    expect(shownFirst).toEqual(differing.map((i) => (blind.baselineFirst(i) ? baselines[i] : answers[i])));
    expect(new Set(differing.map((i) => blind.baselineFirst(i))).size).toBe(2);

    const expected: Outcome[] = answers.map((a, i) =>
      a.length > baselines[i].length ? 'win' : a.length < baselines[i].length ? 'loss' : 'tie',
    );
    expect(judged.items.map((x) => x.outcome)).toEqual(expected);
    expect(judged.winRate).toEqual(winRate(expected));
    expect(judged.winRate.ties).toBe(ITEMS / 3);
    // The stored verdicts keep their meaning whatever order was asked: first on (answer, baseline).
    for (const [i, item] of judged.items.entries()) {
      if (expected[i] === 'win') expect([item.first.winner, item.second.winner]).toEqual(['a', 'b']);
      if (expected[i] === 'loss') expect([item.first.winner, item.second.winner]).toEqual(['b', 'a']);
    }
  });

  it('gives the same result whichever order the person answers in', async () => {
    const q = new HumanJudgeQueue();
    longerAnswerPerson(q, []);
    const sequential = await judgeAnswers(q, instructions, answers, baselines, { blind: blindOrder(3, 'dpo') });
    const q2 = new HumanJudgeQueue();
    longerAnswerPerson(q2, []);
    const otherCoin = await judgeAnswers(q2, instructions, answers, baselines, { blind: blindOrder(99, 'jpo') });
    expect(otherCoin.winRate).toEqual(sequential.winRate);
    expect(otherCoin.items.map((x) => x.outcome)).toEqual(sequential.items.map((x) => x.outcome));
  });
});
