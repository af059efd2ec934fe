/**
 * The Apples & Oranges classroom task as the pipeline uses it: a FIXED train/test split of the
 * task's instructions (the split both bundled models, orchard-tiny and orchard-tiny-2, were made with: seed 1, 20% test,
 * see scripts/make-tiny-model.ts), so the held-out instructions are never seen in the model's SFT
 * and are the same for every experiment seed. Training instructions are a seeded sample of the
 * train split; evaluation takes the test split in its fixed order.
 */
import { appleOracleScore } from '../../data/judges/oracle.ts';
import {
  type HeldOutSplit,
  heldOutItems,
  type ListSpec,
  referenceAnswer,
  renderInstruction,
  splitSpecs,
} from '../../data/tasks/apples.ts';
import { Rng } from '../../engine/index.ts';
import type { EvalItem } from '../evaluate.ts';

/** The task split shared with scripts/make-tiny-model.ts (TINY_RECIPE.seed, TINY_RECIPE.testFraction). */
export const APPLES_SPLIT = { seed: 1, testFraction: 0.2 } as const;
/** Seed of the gold answers of the test items (fixed: the eval set does not depend on the experiment). */
const GOLD_SEED = 7;

let split: { train: ListSpec[]; test: ListSpec[] } | null = null;
function theSplit() {
  split ??= splitSpecs(APPLES_SPLIT.seed, APPLES_SPLIT.testFraction);
  return split;
}

/** How many training instructions the task has: data.nInstructions above it uses them all. */
export function applesTrainPoolSize(): number {
  return theSplit().train.length;
}

/** `n` training instructions, a sample of the train split drawn with `seed` (all of it when n is larger). */
export function applesTrainInstructions(n: number, seed: number): string[] {
  const pool = [...theSplit().train];
  return new Rng(seed).shuffle(pool).slice(0, n).map(renderInstruction);
}

/** One gold (correct) answer per training instruction, e.g. for SFT. */
export function applesGoldRows(
  instructions: readonly string[],
  seed: number,
): { instruction: string; response: string }[] {
  const byText = new Map(theSplit().train.map((s) => [renderInstruction(s), s]));
  const rng = new Rng(seed);
  return instructions.map((instruction) => {
    const spec = byText.get(instruction);
    if (!spec) throw new Error(`applesGoldRows: "${instruction}" is not a training instruction of the task`);
    return { instruction, response: referenceAnswer(spec, rng) };
  });
}

/**
 * The first `n` held-out instructions of `split` (fixed order) with gold answers: "test" for
 * reported numbers, "validation" for choosing settings, "held-out" both (validation first: the list
 * version-1 specs evaluate). An instruction has the same gold answer in every split.
 */
export function applesEvalItems(n: number, split: HeldOutSplit = 'held-out'): EvalItem[] {
  return heldOutItems(split, {
    seed: APPLES_SPLIT.seed,
    testFraction: APPLES_SPLIT.testFraction,
    goldSeed: GOLD_SEED,
  }).slice(0, n);
}

/** Oracle score and reason of one answer (for samples events). */
export function applesScore(instruction: string, response: string): { score: number; reason: string } {
  const s = appleOracleScore({ instruction, response });
  return { score: s.score, reason: s.reason ?? '' };
}
