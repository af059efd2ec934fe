/**
 * The pipeline's pairing step with a person as the judge (src/lab/pipeline/prepare-data.ts): a few
 * pairs in the person's queue at once, the result independent of the answer order, and a cancelled
 * run that does not wait for the person.
 */
import { describe, expect, it } from 'vitest';
import { HumanJudgeQueue } from '../../src/data/judges/human.ts';
import { applesOracle } from '../../src/data/judges/oracle.ts';
import type { Candidate } from '../../src/data/types.ts';
import { CancelledError } from '../../src/lab/pipeline/generation.ts';
import { HUMAN_JUDGE_CONCURRENCY, pairCandidates } from '../../src/lab/pipeline/prepare-data.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));
const I1 = 'Create a list of four fruits other than Apple';
const I2 = 'Create a list of four vegetables other than Carrot';
const CANDIDATES: Candidate[] = [
  ...['Orange, Kiwi, Fig, Lime', 'Apple, Pear, Fig, Lime', 'Kiwi, Kiwi', 'Pear, Plum, Fig, Date'].map((response) => ({
    instruction: I1,
    response,
  })),
  ...['Leek, Pea, Kale, Bean', 'Carrot, Pea, Kale, Bean', 'Leek'].map((response) => ({ instruction: I2, response })),
];

describe('pairing with a person as the judge', () => {
  it('shows a few pairs at once and keeps the pairs a sequential judge would keep', async () => {
    const oracle = applesOracle();
    const base = { mode: 'both' as const, budget: 8, seed: 11 };
    const reference = await pairCandidates(CANDIDATES, { ...base, judge: oracle });

    const q = new HumanJudgeQueue();
    const progress: [number, number][] = [];
    const maxPending: number[] = [];
    const running = pairCandidates(CANDIDATES, {
      ...base,
      judge: q,
      concurrency: HUMAN_JUDGE_CONCURRENCY,
      onProgress: (done, total) => progress.push([done, total]),
    });
    let finished = false;
    void running.then(() => {
      finished = true;
    });
    // Answer the newest pending pair first (not plan order) with the oracle's verdict.
    while (!finished) {
      await tick();
      const pending = q.pending();
      maxPending.push(pending.length);
      const p = pending.at(-1);
      if (p) q.answer(p.id, (await oracle.compare(p.a, p.b)).winner);
    }
    const result = await running;
    expect(result.pairs).toEqual(reference.pairs);
    expect(result.counts).toEqual(reference.counts);
    expect(Math.max(...maxPending)).toBe(HUMAN_JUDGE_CONCURRENCY);
    expect(q.labels()).toHaveLength(8);
    // The planned total is announced before the first verdict.
    expect(progress[0]).toEqual([0, 8]);
    expect(progress.at(-1)).toEqual([8, 8]);
  });

  it('a cancelled run stops waiting for the person', async () => {
    const q = new HumanJudgeQueue();
    const abort = new AbortController();
    const running = pairCandidates(CANDIDATES, {
      mode: 'both',
      budget: 4,
      seed: 1,
      judge: q,
      concurrency: HUMAN_JUDGE_CONCURRENCY,
      signal: abort.signal,
    });
    await tick();
    expect(q.pending()).toHaveLength(4);
    abort.abort();
    await expect(running).rejects.toBeInstanceOf(CancelledError);
  });
});
