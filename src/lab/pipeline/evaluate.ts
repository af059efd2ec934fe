/**
 * The evaluate stage: the initial model answers the held-out instructions once, then each trained
 * run answers them and the judge compares each answer with the baseline (the initial model's
 * answer or the gold one) in both orders (../evaluate.ts). A person judges blind: a seeded coin per
 * (run, item) picks the side shown first. Runs that did not finish training are not evaluated.
 */
import type { Judge } from '../../data/judges/types.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import type { Generator } from '../../engine/index.ts';
import { type BlindOptions, type EvalItem, evalReport, evaluateModel, goldAnswers } from '../evaluate.ts';
import type { PipelineListener } from '../events.ts';
import type { EvalPlan } from '../plan.ts';
import type { RunResult } from './context.ts';
import { generateAnswers } from './generation.ts';
import type { Policy } from './policy.ts';
import { deriveSeed, SEED_PURPOSE } from './seeds.ts';

export interface EvaluateStageOptions {
  plan: EvalPlan;
  items: EvalItem[];
  /** The runs to evaluate (finished ones); their eval fields are filled in. */
  runs: RunResult[];
  judge: () => Promise<Judge>;
  policy: Policy;
  generator: Generator;
  tokenizer: Tokenizer;
  emit: PipelineListener;
  gate: () => Promise<void>;
  signal?: AbortSignal;
}

/** A person judges blind: a seeded coin per (run, item) picks the side shown first (evaluate.ts). */
export function blindOrder(seed: number, run: string): BlindOptions {
  return {
    baselineFirst: (i) => (deriveSeed(seed, `${SEED_PURPOSE.evalBlindOrder}-${run}-${i}`) & 1) === 1,
    tieIdentical: true,
  };
}

/** Evaluates o.runs; returns the initial model's answers and mean score. */
export async function evaluateStage(o: EvaluateStageOptions): Promise<{ answers: string[]; meanScore?: number }> {
  const { plan, emit } = o;
  const judge = await o.judge();
  const instructions = o.items.map((x) => x.instruction);
  o.policy.reset();
  const answers = await generateAnswers(o.generator, o.tokenizer, instructions, { ...plan.decoding, signal: o.signal });
  const initial: { answers: string[]; meanScore?: number } = { answers };
  if (judge.score) {
    let s = 0;
    for (let i = 0; i < instructions.length; i++) {
      s += (await judge.score({ instruction: instructions[i], response: answers[i] })).score;
    }
    initial.meanScore = s / instructions.length;
  }
  const baselineAnswers = plan.compareAgainst === 'gold' ? goldAnswers(o.items) : answers;
  for (const [k, run] of o.runs.entries()) {
    await o.gate();
    emit({
      kind: 'progress',
      stage: 'evaluate',
      run: run.label,
      done: k,
      total: o.runs.length,
      message: `evaluating ${run.label} on ${o.items.length} held-out instructions`,
    });
    o.policy.loadTrainable(run.trained);
    const judged = await evaluateModel(o.generator, o.tokenizer, {
      ...plan.decoding,
      judge,
      items: o.items,
      baselineAnswers,
      signal: o.signal,
      ...(plan.judge === 'human' ? { blind: blindOrder(plan.blindSeed, run.label) } : {}),
    });
    run.eval = evalReport(run.label, plan.compareAgainst, judged);
    run.evalItems = judged.items;
    const items = judged.items.map(({ instruction, answer, baseline, outcome }) => ({
      instruction,
      answer,
      baseline,
      outcome,
    }));
    emit({ kind: 'eval', report: run.eval, items });
  }
  emit({ kind: 'progress', stage: 'evaluate', done: o.runs.length, total: o.runs.length, message: 'evaluation done' });
  return initial;
}
