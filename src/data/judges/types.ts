/** One interface for every judge: the task's oracle, a human, a reward model. */
import type { Candidate } from '../types.ts';

export type Winner = 'a' | 'b' | 'tie';

export interface Verdict {
  winner: Winner;
  /** Short text a student can read ("A mentions Apple; B meets every constraint"). */
  reason?: string;
  /** The two sides' scores, for judges that score each side. */
  scores?: [number, number];
}

export interface ScoredItem {
  score: number;
  reason?: string;
}

/**
 * How a judge reaches a verdict. 'pairwise': it looks at both sides together and may disagree with
 * itself when the order is swapped (a person, a simulated annotator). 'score-comparison': it scores
 * each side alone and compares the numbers (the oracle, a reward model), so both orders always agree
 * and its joint verdicts are score comparisons, not joint preferences; reports say so. Absent: pairwise.
 */
export type JudgeBasis = 'pairwise' | 'score-comparison';

export interface Judge {
  readonly name: string;
  readonly basis?: JudgeBasis;
  /** Which side is better; called twice per pair by pairing.ts, with the order swapped (a human queue asks once and mirrors). */
  compare(a: Candidate, b: Candidate): Promise<Verdict>;
  /** For judges that score one response at a time (oracle, reward model). */
  score?(item: Candidate): Promise<ScoredItem>;
}

/** A judge from a single-item scorer: the higher score wins, equal scores tie (within `tolerance`). */
export function judgeFromScorer(
  name: string,
  scorer: (item: Candidate) => ScoredItem | Promise<ScoredItem>,
  tolerance = 1e-9,
): Judge & { score(item: Candidate): Promise<ScoredItem> } {
  return {
    name,
    basis: 'score-comparison',
    async score(item) {
      return scorer(item);
    },
    async compare(a, b) {
      const [sa, sb] = await Promise.all([scorer(a), scorer(b)]);
      const diff = sa.score - sb.score;
      const winner: Winner = Math.abs(diff) <= tolerance ? 'tie' : diff > 0 ? 'a' : 'b';
      const reason = `A ${sa.reason ?? `scores ${sa.score}`}; B ${sb.reason ?? `scores ${sb.score}`}`;
      return { winner, reason, scores: [sa.score, sb.score] };
    },
  };
}
