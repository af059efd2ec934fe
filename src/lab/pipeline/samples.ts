/**
 * The few held-out answers shown while training (samples events): the same instructions and
 * decoding for the initial model and after each run, scored by the task's oracle when there is one.
 */
import type { Tokenizer } from '../../data/tokenizer.ts';
import type { Generator } from '../../engine/index.ts';
import type { EvalItem } from '../evaluate.ts';
import type { SamplesEvent } from '../events.ts';
import type { DecodingOptions, PromptOptions } from './generation.ts';
import { generateAnswers } from './generation.ts';
import { applesScore } from './task-data.ts';

export async function samplesOf(
  generator: Generator,
  tokenizer: Tokenizer,
  items: readonly EvalItem[],
  decoding: PromptOptions & DecodingOptions,
  scoreByTask: boolean,
): Promise<SamplesEvent['samples']> {
  if (items.length === 0) return [];
  const answers = await generateAnswers(
    generator,
    tokenizer,
    items.map((x) => x.instruction),
    decoding,
  );
  return items.map((x, i) => {
    const s = { instruction: x.instruction, response: answers[i] };
    return scoreByTask ? { ...s, ...applesScore(x.instruction, answers[i]) } : s;
  });
}
