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
  /**
   * With itemPreference: 'drawn' lists the items in the order drawn; 'lexicon' in the order of the
   * category's word list (alphabetical when the instruction asks). Each item then comes after the
   * one before it in one fixed order, a relation a tiny model learns from the previous item alone,
   * so its greedy lists cannot come back to an item already named. In the drawn order a 0.93M model
   * still repeated an item in 20% of greedy answers (validation instructions, 1500 SFT steps).
   */
  itemOrder: 'drawn' | 'lexicon';
  /**
   * With itemPreference: shares of rows that are clean lists with one other flaw, after the correct
   * and habit rows: the excluded item named, one item short, not sorted when asked. Varied flaws give
   * (instruction, answer) pairs of different instructions varied scores, so joint comparisons tie
   * less often than conditional ones, the paper's argument; with the habit alone they tied as often.
   */
  cleanFlaws: { excludedItem: number; oneShort: number; unsorted: number };
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
  itemOrder: 'drawn',
  cleanFlaws: { excludedItem: 0, oneShort: 0, unsorted: 0 },
  testFraction: 0.2,
};

/**
 * orchard-tiny-2, the default model of version-2 specs: the same size as orchard-tiny, clean lists
 * (favourite items, no flawed rows, longer SFT) and one habit, one item too many.
 */
export const TINY_2_RECIPE: TinyRecipe = {
  ...TINY_RECIPE,
  id: 'orchard-tiny-2',
  steps: 1200,
  // Chosen on the 128 validation instructions and the default spec's pairing (never the test split).
  // Greedy answers repeating an item: orchard-tiny 48%; ρ 0.7 in the drawn order (1500 steps) 20%;
  // in the lexicon's order 0.8% (ρ 0.7 and 0.5), but with the habit as the only flaw, joint
  // comparisons tied as often as conditional ones. These shares: 1.6%, and joint ties 21% vs 31%.
  correctFraction: 0.3,
  extraItemFraction: 0.45,
  itemPreference: 0.5,
  itemOrder: 'lexicon',
  cleanFlaws: { excludedItem: 0.1, oneShort: 0.08, unsorted: 0.07 },
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
    let from = r.correctFraction;
    const band = (share: number) => {
      const hit = u >= from && u < from + share;
      from += share;
      return hit;
    };
    const habit = band(r.extraItemFraction);
    const excluded = band(r.cleanFlaws.excludedItem);
    const short = band(r.cleanFlaws.oneShort);
    const unsorted = band(r.cleanFlaws.unsorted);
    const pref = r.itemPreference;
    let response: string;
    if (excluded && spec.exclude !== null && spec.count !== null) {
      response = preferredAnswer(spec, spec.count, pref, rng, r.itemOrder, true);
    } else if (unsorted && spec.sorted) {
      response = preferredAnswer({ ...spec, sorted: false }, spec.count, pref, rng, r.itemOrder);
    } else {
      const delta = habit ? 1 : short && spec.count !== null && spec.count > 1 ? -1 : 0;
      response = preferredAnswer(spec, spec.count === null ? null : spec.count + delta, pref, rng, r.itemOrder);
    }
    return { instruction: renderInstruction(spec), response };
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
 * the k-th item of the lexicon; in the order drawn or the lexicon's (TinyRecipe.itemOrder), sorted when asked.
 */
export function preferredAnswer(
  spec: ListSpec,
  count: number | null,
  preference: number,
  rng: Rng,
  order: TinyRecipe['itemOrder'] = 'drawn',
  namingExcluded = false,
): string {
  const all = categoryByKey(spec.category).items;
  const pool = all.filter((x) => x.toLowerCase() !== spec.exclude?.toLowerCase());
  const weights = pool.map((_, k) => preference ** k);
  const n = Math.min(pool.length, count ?? MIN_COUNT + rng.int(MAX_COUNT - MIN_COUNT + 1));
  const picked: number[] = [];
  for (let i = 0; i < n; i++) {
    let x = rng.next() * weights.reduce((a, b) => a + b, 0);
    let k = -1;
    for (let j = 0; j < pool.length; j++) {
      if (weights[j] === 0) continue;
      k = j; // the last item still unused, should rounding carry x past every weight
      if (x < weights[j]) break;
      x -= weights[j];
    }
    picked.push(k);
    weights[k] = 0;
  }
  let items = picked.map((k) => pool[k]);
  // The flaw "names the excluded item": it takes the place of one drawn item.
  const excludedItem = all.find((x) => x.toLowerCase() === spec.exclude?.toLowerCase());
  if (namingExcluded && excludedItem !== undefined && items.length > 0) items[rng.int(items.length)] = excludedItem;
  if (order === 'lexicon') items = [...items].sort((a, b) => all.indexOf(a) - all.indexOf(b));
  if (spec.sorted)
    items.sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  return formatList(items);
}
