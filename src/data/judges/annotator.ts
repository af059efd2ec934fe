/**
 * Simulated pairwise annotators (issue 12, item 2): a judge that looks at two (instruction,
 * response) pairs and answers "a", "b" or "tie" the way a noisy, position-biased person or LLM
 * judge does, built on an exact scorer (the classroom task's oracle by default).
 *
 * With d = score(A) − score(B) for the sides in the order shown:
 * - unsure, |d| ≤ tieMargin (so with margin 0, exactly equal scores): the annotator cannot tell the sides apart; it answers "a" (the side
 *   shown first) with probability positionBias, else "tie";
 * - otherwise, Bradley–Terry: "a" with probability σ(d / temperature), else "b" (temperature 0:
 *   the better side always wins).
 * Asked in both orders, an unsure annotator with positionBias > 0 can answer "a" both times and a
 * noisy one can pick the worse side once: inconsistent verdicts, which the paper's both-orders
 * filter (pairing.ts) drops.
 *
 * Deterministic: each answer draws one uniform from an Rng seeded by a hash of (seed, A, B) in the
 * order shown. So the same spec gives the same verdicts whatever order or concurrency the questions
 * come in, a question asked again gets the same answer, and (A, B) and (B, A) are independent draws.
 */
import { Rng } from '../../engine/random.ts';
import type { Candidate } from '../types.ts';
import { appleOracleScore } from './oracle.ts';
import type { Judge, ScoredItem, Verdict, Winner } from './types.ts';

export interface AnnotatorSettings {
  /** Bradley–Terry temperature on the score scale (scores in [0, 1]); 0: no noise. */
  temperature: number;
  /** Probability of answering "a" (the first side) when unsure; otherwise an unsure annotator says "tie". */
  positionBias: number;
  /** Score differences below this are "cannot tell". */
  tieMargin: number;
}

/**
 * Classroom defaults, chosen so a class sees the noise real judges have (measured on the task's
 * candidates in test/unit/data-annotators.test.ts):
 * - temperature 0.05: one broken constraint out of five (d = 0.2) is recognised 98% of the time per
 *   question (σ(4)), the smallest differences between instructions (d = 1/30 to 1/20) only 66-73%.
 *   Kept pairs are then about 96% right (4% label noise survives the filter) while about one pair in
 *   seven is dropped as inconsistent; at 0.1 noise doubles and half the judge budget is thrown away,
 *   too much for a 60-step run of a tiny model to learn from.
 * - positionBias 0.3: when unsure, about a third of answers name the first side, the order of
 *   magnitude of LLM judges' measured position preference; the two orders then disagree on 9% of
 *   such pairs (0.3²), which the filter drops.
 * - tieMargin 0.02: on this task the smallest non-zero score difference is 1/30, so only exactly equal
 *   scores are "cannot tell"; a margin of 0.04 or more would also swallow the small differences that
 *   make joint comparisons informative (joint tie rate 29% instead of 14%, above the conditional 26%).
 */
export const DEFAULT_ANNOTATOR: AnnotatorSettings = { temperature: 0.05, positionBias: 0.3, tieMargin: 0.02 };

export interface AnnotatorOptions extends Partial<AnnotatorSettings> {
  seed: number;
  /** Scores one side; default: the classroom task's oracle. */
  scorer?: (item: Candidate) => ScoredItem | Promise<ScoredItem>;
  name?: string;
}

export type Annotator = Judge & { readonly settings: AnnotatorSettings; score(item: Candidate): Promise<ScoredItem> };

export function bradleyTerryAnnotator(opts: AnnotatorOptions): Annotator {
  const settings: AnnotatorSettings = {
    temperature: opts.temperature ?? DEFAULT_ANNOTATOR.temperature,
    positionBias: opts.positionBias ?? DEFAULT_ANNOTATOR.positionBias,
    tieMargin: opts.tieMargin ?? DEFAULT_ANNOTATOR.tieMargin,
  };
  checkSettings(settings, opts.seed);
  const scorer = opts.scorer ?? appleOracleScore;
  const { temperature, positionBias, tieMargin } = settings;
  return {
    name: opts.name ?? `annotator(temperature ${temperature}, position bias ${positionBias}, tie margin ${tieMargin})`,
    basis: 'pairwise',
    settings,
    async score(item) {
      return scorer(item);
    },
    async compare(a, b): Promise<Verdict> {
      const [sa, sb] = await Promise.all([scorer(a), scorer(b)]);
      const d = sa.score - sb.score;
      const u = questionUniform(opts.seed, a, b);
      let winner: Winner;
      let note: string;
      if (Math.abs(d) <= tieMargin + SCORE_EPSILON) {
        winner = u < positionBias ? 'a' : 'tie';
        note = winner === 'a' ? 'could not tell; picked the first' : 'could not tell';
      } else {
        const pA = temperature === 0 ? (d > 0 ? 1 : 0) : 1 / (1 + Math.exp(-d / temperature));
        winner = u < pA ? 'a' : 'b';
        note = (winner === 'a') === d > 0 ? 'picked the better side' : 'picked the worse side';
      }
      const reason = `A ${sa.reason ?? `scores ${sa.score}`}; B ${sb.reason ?? `scores ${sb.score}`} (${note})`;
      return { winner, reason, scores: [sa.score, sb.score] };
    },
  };
}

function checkSettings(s: AnnotatorSettings, seed: number): void {
  if (!(Number.isFinite(s.temperature) && s.temperature >= 0)) {
    throw new Error(`annotator temperature must be a number >= 0 (0: no noise), got ${s.temperature}`);
  }
  if (!(s.positionBias >= 0 && s.positionBias <= 1)) {
    throw new Error(`annotator positionBias must be a probability in [0, 1], got ${s.positionBias}`);
  }
  if (!(Number.isFinite(s.tieMargin) && s.tieMargin >= 0)) {
    throw new Error(`annotator tieMargin must be a score difference >= 0, got ${s.tieMargin}`);
  }
  if (!Number.isInteger(seed)) throw new Error(`annotator seed must be an integer, got ${seed}`);
}

/** Scores computed along different paths (4/5 vs (2 + 2)/5) may differ in the last bits; they are equal. */
const SCORE_EPSILON = 1e-9;

/** One uniform in [0, 1) per (seed, question in the order shown). */
function questionUniform(seed: number, a: Candidate, b: Candidate): number {
  const key = JSON.stringify([a.instruction, a.response, b.instruction, b.response]);
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return new Rng(h >>> 0).next();
}
