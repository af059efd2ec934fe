/**
 * Which judges give pairwise verdicts and which compare two separate scores: reports mark the joint
 * "preferences" of score-comparison judges (oracle, reward model) as score comparisons.
 */
import { describe, expect, it } from 'vitest';
// onnxruntime-web must be registered before transformers.js is first evaluated (see ort-web-node.ts).
import '../../src/data/judges/ort-web-node.ts';
import { bradleyTerryAnnotator } from '../../src/data/judges/annotator.ts';
import { HumanJudgeQueue } from '../../src/data/judges/human.ts';
import type { Judge } from '../../src/data/judges/types.ts';
import { pairForRun } from '../../src/data/run-pairing.ts';

const { loadRewardModelJudge } = await import('../../src/data/judges/reward-model.ts');

const POOL = [
  { instruction: 'List three colours', response: 'Red, Blue, Green' },
  { instruction: 'List three colours', response: 'Red, Blue' },
  { instruction: 'Name two animals', response: 'Cat, Dog' },
  { instruction: 'Name two animals', response: 'Cat, Carrot' },
];

describe('verdict basis', () => {
  it('a reward model keeps its scores and its joint verdicts are marked as score comparisons', async () => {
    const judge = await loadRewardModelJudge({ source: { dir: 'test/fixtures/judge' } });
    try {
      expect(judge.basis).toBe('score-comparison');
      const v = await judge.compare(POOL[0], POOL[2]);
      expect(v.scores).toHaveLength(2);
      const r = await pairForRun(POOL, judge, { judgeCalls: 8, jointShare: 0.5, seed: 1 });
      expect(r.counts.judged).toEqual({ conditional: 2, joint: 2 });
      expect(r.counts.verdictBasis).toBe('score-comparison');
      // Scores never depend on the order asked: a score comparison is never inconsistent.
      expect(r.counts.inconsistent).toBe(0);
    } finally {
      await judge.dispose();
    }
  });

  it('a person and a simulated annotator are pairwise judges', async () => {
    const person: Judge = new HumanJudgeQueue();
    expect(person.basis ?? 'pairwise').toBe('pairwise');
    const r = await pairForRun(POOL, bradleyTerryAnnotator({ seed: 1 }), { judgeCalls: 8, jointShare: 0.5, seed: 1 });
    expect(r.counts.verdictBasis).toBe('pairwise');
  });
});
