/**
 * The recipes of the bundled tiny models (scripts/make-tiny-model.ts makes them): architecture, SFT
 * settings and what the SFT answers look like, which is what gives each model its habit.
 */

import {
  flawedAnswers,
  formatList,
  type ListSpec,
  MAX_COUNT,
  MIN_COUNT,
  referenceAnswer,
  renderInstruction,
} from '../src/data/tasks/apples.ts';
import { categoryByKey } from '../src/data/tasks/apples-lexicon.ts';
import type { Rng } from '../src/engine/random.ts';
import { TINY_MAX_LENGTH } from './train-tokenizer.ts';

export interface TinyRecipe {
  /** The model's name: its folder under public/models and the title of its card. */
  id: string;
  seed: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nPositions: number;
  /** SFT optimizer updates, rows per update, padded length of every batch. */
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  /** Share of SFT answers that are correct. */
  correctFraction: number;
  /**
   * Share of SFT answers that are correct but one item too long: the model's habit, which preference
   * training can see and fix.
   */
  extraItemFraction: number;
  /**
   * null: answers list items in a uniformly random order (apples.ts referenceAnswer) and the rows
   * that are neither correct nor the habit carry one flaw each (apples.ts flawedAnswers).
   * A number ρ in (0, 1]: every answer is a clean list, its items drawn without replacement with
   * weight ρ^k for the k-th item of the category's lexicon (a model's favourite items, as real models
   * have; 1 is a uniform choice), and the rows that are not the habit are correct. A tiny model learns this peaked
   * next-item choice well enough that its greedy lists do not repeat items; with a uniform order it
   * cannot tell the used items from the rest and greedy answers repeat one ("Horse, Horse, Horse").
   */
  itemPreference: number | null;
  /** Held-out share of the task's instructions (never trained on; used for the evaluation). */
  testFraction: number;
}

export const TINY_RECIPE: TinyRecipe = {
  id: 'orchard-tiny',
  seed: 1,
  nEmbd: 128,
  nLayer: 4,
  nHead: 4,
  nPositions: TINY_MAX_LENGTH,
  steps: 600,
  batchSize: 16,
  seqLen: 36,
  lr: 3e-3,
  warmupSteps: 20,
  weightDecay: 0.01,
  // A habit above one half makes the greedy answer wrong by default, and the samples then hold both
  // the habit and correct answers: pairs that show preference training what to change. With mistakes
  // spread thinly over every flaw (0.55 correct, the rest uniform), greedy answers were already 90%
  // right and DPO/JPO on sampled pairs only lowered them.
  correctFraction: 0.35,
  extraItemFraction: 0.55,
  itemPreference: null,
  testFraction: 0.2,
};

/**
 * orchard-tiny-2, the default model of version-2 specs: the same size as orchard-tiny, clean lists
 * (favourite items, no flawed rows, longer SFT) and one habit, one item too many.
 */
export const TINY_2_RECIPE: TinyRecipe = {
  ...TINY_RECIPE,
  id: 'orchard-tiny-2',
  steps: 1500,
  correctFraction: 0.45,
  extraItemFraction: 0.55,
  itemPreference: 0.7,
};

/** The recipes by model id (`--recipe`); orchard-tiny's must stay as it is: v1 links replay its bytes. */
export const TINY_RECIPES: Record<string, TinyRecipe> = {
  'orchard-tiny': TINY_RECIPE,
  'orchard-tiny-2': TINY_2_RECIPE,
};

/** One SFT row: a training instruction with a correct answer, the habit's answer, or (itemPreference null) a flawed one. */
export function sftExample(
  train: readonly ListSpec[],
  r: TinyRecipe,
  rng: Rng,
): { instruction: string; response: string } {
  const spec = train[rng.int(train.length)];
  const u = rng.next();
  if (r.itemPreference !== null) {
    const habit = u >= r.correctFraction && u < r.correctFraction + r.extraItemFraction && spec.count !== null;
    const count = spec.count === null ? null : spec.count + (habit ? 1 : 0);
    return { instruction: renderInstruction(spec), response: preferredAnswer(spec, count, r.itemPreference, rng) };
  }
  let response: string;
  if (u < r.correctFraction) response = referenceAnswer(spec, rng);
  else if (u < r.correctFraction + r.extraItemFraction && spec.count !== null) {
    response = referenceAnswer({ ...spec, count: spec.count + 1 }, rng);
  } else {
    const answers = flawedAnswers(spec, rng);
    response = answers[rng.int(answers.length)].response;
  }
  return { instruction: renderInstruction(spec), response };
}

/**
 * A clean answer with the model's favourite items (TinyRecipe.itemPreference): `count` distinct items
 * of the category (a random 2 to 5 when null), never the excluded one, each drawn with weight ρ^k for
 * the k-th item of the lexicon, sorted when asked.
 */
export function preferredAnswer(spec: ListSpec, count: number | null, preference: number, rng: Rng): string {
  const pool = categoryByKey(spec.category).items.filter((x) => x.toLowerCase() !== spec.exclude?.toLowerCase());
  const weights = pool.map((_, k) => preference ** k);
  const n = Math.min(pool.length, count ?? MIN_COUNT + rng.int(MAX_COUNT - MIN_COUNT + 1));
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    let x = rng.next() * weights.reduce((a, b) => a + b, 0);
    let k = -1;
    for (let j = 0; j < pool.length; j++) {
      if (weights[j] === 0) continue;
      k = j; // the last item still unused, should rounding carry x past every weight
      if (x < weights[j]) break;
      x -= weights[j];
    }
    items.push(pool[k]);
    weights[k] = 0;
  }
  if (spec.sorted)
    items.sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  return formatList(items);
}
