/** The classroom task's exact judge: scores with tasks/apples.ts, compares by score. */
import { scoreApples } from '../tasks/apples.ts';
import type { Candidate } from '../types.ts';
import { type Judge, judgeFromScorer, type ScoredItem } from './types.ts';

/** Reason text: the broken constraints joined with "and", or "meets every constraint". */
export function appleOracleScore(item: Candidate): ScoredItem {
  const { score, reasons } = scoreApples(item.instruction, item.response);
  return { score, reason: reasons.length === 0 ? 'meets every constraint' : reasons.join(' and ') };
}

export function applesOracle(): Judge & { score(item: Candidate): Promise<ScoredItem> } {
  return judgeFromScorer('apples-oracle', appleOracleScore);
}
