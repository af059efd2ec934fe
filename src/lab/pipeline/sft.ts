/**
 * The optional supervised fine-tuning stage: token-mean NLL of the responses (conditional masks)
 * on (instruction, response) examples, spec.sft.steps AdamW updates at a constant spec.sft.lr
 * (the optimizer's betas, eps, weight decay and clipping come from spec.optimizer), batches of
 * spec.sft.batchSize examples taken cyclically from a seeded order. Afterwards the result is folded
 * into the base weights (Policy.rebase), so the SFT model is both the preference runs' starting
 * point and their reference, as in the paper.
 */

import { bucketLength, encodePair } from '../../data/sequence.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import type { Backend } from '../../engine/backend.ts';
import { Graph, type Node } from '../../engine/graph.ts';
import { buildSequenceStats, feedsFor, padRows, sequenceFeeds } from '../../engine/logprobs.ts';
import { Rng } from '../../engine/random.ts';
import { TrainState } from '../../engine/train-state.ts';
import { compileTrainStep, type TrainStep } from '../../engine/train-step.ts';
import type { PipelineListener } from '../events.ts';
import type { ExperimentSpec, SftSpec } from '../spec.ts';
import type { Policy } from './policy.ts';

export interface SftOptions {
  policy: Policy;
  backend: Backend;
  tokenizer: Tokenizer;
  spec: ExperimentSpec;
  sft: SftSpec;
  examples: { instruction: string; response: string }[];
  seed: number;
  emit: PipelineListener;
  gate: () => Promise<void>;
  signal?: AbortSignal;
}

/** Returns false when cancelled before the last step. */
export async function runSft(o: SftOptions): Promise<boolean> {
  if (o.examples.length === 0) throw new Error('sft: no examples to fine-tune on');
  const d = o.spec.data;
  const rows = o.examples.map((e) =>
    encodePair(o.tokenizer, e.instruction, e.response, {
      mode: 'conditional',
      template: d.template,
      maxLength: d.maxLength,
      maxPromptLength: d.maxPromptLength,
    }),
  );
  const B = Math.min(o.sft.batchSize, rows.length);
  const rng = new Rng(o.seed);
  let order: number[] = [];
  const nextBatch = (): number[] => {
    const out: number[] = [];
    while (out.length < B) {
      if (order.length === 0) order = rng.shuffle(rows.map((_, i) => i));
      out.push(order.shift() as number);
    }
    return out;
  };
  const state = new TrainState(o.backend, o.policy.store, o.policy.trainable);
  const steps = new Map<number, { g: Graph; train: TrainStep }>();
  try {
    for (let step = 0; step < o.sft.steps; step++) {
      await o.gate();
      if (o.signal?.aborted) return false;
      const batchRows = nextBatch().map((i) => rows[i]);
      const T = bucketLength(Math.max(...batchRows.map((r) => r.ids.length)));
      let s = steps.get(T);
      if (!s) {
        const g = new Graph();
        const { nll } = buildSequenceStats(g, o.policy.model, { B, T, reductions: ['nll'], build: o.policy.build });
        s = { g, train: compileTrainStep(g, nll as Node, [], o.backend, o.policy.store, { state }) };
        steps.set(T, s);
      }
      const r = await s.train.step(feedsFor(s.g, sequenceFeeds(padRows(batchRows, o.tokenizer.padId, T))), {
        lr: o.sft.lr,
        beta1: o.spec.optimizer.beta1,
        beta2: o.spec.optimizer.beta2,
        eps: o.spec.optimizer.eps,
        weightDecay: o.spec.optimizer.weightDecay,
        maxGradNorm: o.spec.optimizer.maxGradNorm ?? 0,
      });
      o.emit({
        kind: 'progress',
        stage: 'sft',
        done: step + 1,
        total: o.sft.steps,
        message: `SFT step ${step + 1}/${o.sft.steps}, loss ${r.loss.toFixed(4)}`,
      });
    }
    return true;
  } finally {
    for (const s of steps.values()) s.train.dispose();
    state.dispose();
  }
}
