/**
 * "Paper data": the draft switched to the JPO paper's bundled files (public/data/paper/): its
 * conditional comparisons (used as given), its SFT rows (joint pairs are built from them and
 * judged), and its test file for evaluation against the gold answers. The lab has no reward model,
 * so a person judges (the run asks while it waits): budgets are kept small for that.
 */
import { PAPER_SET_LABELS, PAPER_TEST_FILES, PAPER_TRAIN_FILES, type PaperTrainSet } from '../../data/paper-data.ts';
import type { ExperimentSpec } from '../../lab/spec.ts';

/** Judged joint pairs and held-out items a person answers in a lesson's time. */
export const PAPER_LAB_SIZES = { jointBudget: 16, nTest: 8 } as const;

export function withPaperData(spec: ExperimentSpec, dataset: PaperTrainSet = 'anthropic_helpful'): ExperimentSpec {
  const out = structuredClone(spec);
  const { pairing, edits, maxLength, maxPromptLength, template, separator, truncation } = out.data;
  out.data = {
    source: 'paper',
    dataset,
    format: 'auto',
    // "shared": the file's comparisons are used as they are; only the joint pairs spend the budget.
    pairing: { ...pairing, protocol: 'shared', judge: 'human', budget: PAPER_LAB_SIZES.jointBudget },
    edits,
    maxLength,
    maxPromptLength,
    template,
    ...(separator === undefined ? {} : { separator }),
    ...(truncation === undefined ? {} : { truncation }),
  };
  out.eval = {
    ...out.eval,
    judge: 'human',
    compareAgainst: 'gold',
    nTest: Math.min(out.eval.nTest, PAPER_LAB_SIZES.nTest),
    test: { source: 'paper', dataset },
  };
  return out;
}

/** The files a paper dataset uses, for the page. */
export function paperDataFiles(dataset: PaperTrainSet): { train: readonly string[]; test: string; label: string } {
  return { train: PAPER_TRAIN_FILES[dataset], test: PAPER_TEST_FILES[dataset], label: PAPER_SET_LABELS[dataset] };
}
