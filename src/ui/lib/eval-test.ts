/**
 * The Evaluate section's choice of test items (`eval.test`): the task's held-out questions or one of
 * the paper's bundled test files. A test file has no exact checker, so the oracle judge becomes a
 * person (the lab has no reward model); gold answers come with the file.
 */
import { PAPER_SET_LABELS, PAPER_TEST_SETS, type PaperTestSet } from '../../data/paper-data.ts';
import type { ExperimentSpec } from '../../lab/spec.ts';

export type EvalTestChoice = 'task' | PaperTestSet;

export const EVAL_TEST_CHOICES: readonly { value: EvalTestChoice; label: string }[] = [
  { value: 'task', label: "the task's held-out questions" },
  ...PAPER_TEST_SETS.map((d) => ({ value: d, label: `the paper's ${PAPER_SET_LABELS[d]} test file` })),
];

/** What the draft evaluates on now (a Hub or CLI file shows as neither choice: null). */
export function evalTestChoice(spec: ExperimentSpec): EvalTestChoice | null {
  const t = spec.eval.test;
  if (!t) return spec.data.source === 'paper' ? spec.data.dataset : 'task';
  if (t.source === 'task') return 'task';
  return t.source === 'paper' ? t.dataset : null;
}

/** Edits `draft` in place to evaluate on `choice`. */
export function setEvalTest(draft: ExperimentSpec, choice: EvalTestChoice): void {
  if (choice === 'task') {
    draft.eval.test = { source: 'task' };
    return;
  }
  draft.eval.test = { source: 'paper', dataset: choice };
  if (draft.eval.judge === 'oracle' || draft.eval.judge === 'annotator') draft.eval.judge = 'human';
}
