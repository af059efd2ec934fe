/**
 * The judged held-out items as the CLI prints them: `orchard train`'s eval.json (runs[].items) and
 * `orchard eval`'s output (itemsByRun) use the same rows, so one can be compared with the other.
 */
import type { ComparedItem } from '../lab/evaluate.ts';

/** One judged item: the instruction, both answers, the judge's outcome and scores. */
export type JudgedItemRow = Pick<
  ComparedItem,
  'instruction' | 'answer' | 'baseline' | 'outcome' | 'score' | 'baselineScore'
>;

export function judgedItemRows(items: readonly ComparedItem[]): JudgedItemRow[] {
  return items.map((x) => ({
    instruction: x.instruction,
    answer: x.answer,
    baseline: x.baseline,
    outcome: x.outcome,
    score: x.score,
    baselineScore: x.baselineScore,
  }));
}
