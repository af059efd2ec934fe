/**
 * The optional supervised fine-tuning stage, on the shared training loop (loop.ts): token-mean NLL
 * of the responses (conditional masks) on (instruction, response) examples, plan.sft.steps AdamW
 * updates at a constant plan.sft.lr (betas, eps, weight decay and clipping from the optimizer
 * plan), batches of plan.sft.batchSize examples taken cyclically from a seeded order. Afterwards the
 * result is folded into the base weights (Policy.rebase), so the SFT model is both the preference
 * runs' starting point and their reference, as in the paper. A finished SFT is checkpointed.
 */
import { bucketLength, encodePair } from '../../data/sequence.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import {
  type Backend,
  buildSequenceStats,
  Graph,
  LORA_DROPOUT_SEED,
  type Node,
  padRows,
  Rng,
  sequenceFeeds,
} from '../../engine/index.ts';
import type { Checkpoints } from '../checkpoint.ts';
import type { PipelineListener } from '../events.ts';
import type { DataPlan, SftPlan } from '../plan.ts';
import type { Resolvers } from '../resolve.ts';
import { CancelledError } from './generation.ts';
import { TrainingLoop } from './loop.ts';
import type { Policy } from './policy.ts';
import { deriveSeed } from './seeds.ts';
import { applesGoldRows, applesTrainInstructions } from './task-data.ts';

export interface SftStageOptions {
  sft: SftPlan;
  data: DataPlan;
  /** What the SFT result depends on (plan.fingerprints.shared). */
  fingerprint: string;
  policy: Policy;
  backend: Backend;
  tokenizer: Tokenizer;
  resolvers: Resolvers;
  emit: PipelineListener;
  gate: () => Promise<void>;
  signal?: AbortSignal;
  now: () => number;
  checkpoints: Checkpoints | null;
}

/** Fine-tunes (or loads a finished SFT from the checkpoints) and folds it into the base. */
export async function sftStage(o: SftStageOptions): Promise<void> {
  const saved = o.checkpoints ? await o.checkpoints.sft(o.fingerprint) : null;
  if (saved) {
    o.policy.loadTrainable(saved);
    await o.policy.rebase(o.sft.rebaseSeed);
    const n = o.sft.steps;
    o.emit({ kind: 'progress', stage: 'sft', done: n, total: n, message: 'SFT loaded from the checkpoint' });
    return;
  }
  const examples = await sftExamples(o.sft, o.data, o.resolvers, o.signal);
  o.policy.reset();
  if (!(await runSft(o, examples))) throw new CancelledError();
  const params = await o.policy.readTrainable();
  await o.checkpoints?.saveSft(o.fingerprint, params, o.sft.steps);
  await o.policy.rebase(o.sft.rebaseSeed);
}

/** SFT examples: gold answers of the training instructions (task), else the chosen sides and candidates. */
async function sftExamples(
  sft: SftPlan,
  d: DataPlan,
  resolvers: Resolvers,
  signal: AbortSignal | undefined,
): Promise<{ instruction: string; response: string }[]> {
  if (d.source.source === 'task') {
    const instructions = applesTrainInstructions(d.source.nInstructions, sft.instructionsSeed);
    return applesGoldRows(instructions, sft.orderSeed);
  }
  const data = await resolvers.data(d.source, { signal });
  return [
    ...data.pairs.map((p) => ({ instruction: p.i_chosen, response: p.r_chosen })),
    ...data.candidates.map((c) => ({ instruction: c.instruction, response: c.response })),
  ];
}

/** Returns false when cancelled before the last step. */
async function runSft(o: SftStageOptions, examples: { instruction: string; response: string }[]): Promise<boolean> {
  if (examples.length === 0) throw new Error('sft: no examples to fine-tune on');
  const enc = o.data.encoding;
  const rows = examples.map((e) => encodePair(o.tokenizer, e.instruction, e.response, { mode: 'conditional', ...enc }));
  const B = Math.min(o.sft.batchSize, rows.length);
  const rng = new Rng(o.sft.orderSeed);
  let order: number[] = [];
  let microBatches = 0;
  const nextBatch = (): number[] => {
    const out: number[] = [];
    while (out.length < B) {
      if (order.length === 0) order = rng.shuffle(rows.map((_, i) => i));
      out.push(order.shift() as number);
    }
    return out;
  };
  const loop = new TrainingLoop(o.policy, o.backend, (T) => {
    const g = new Graph();
    const build = { ...o.policy.build, training: true };
    const { nll } = buildSequenceStats(g, o.policy.model, { B, T, reductions: ['nll'], build });
    return { g, loss: nll as Node, outputs: [] };
  });
  try {
    const status = await loop.run({
      what: 'SFT',
      divergenceFix: 'lower sft.lr, or enable gradient clipping (optimizer.maxGradNorm, e.g. 1)',
      totalSteps: o.sft.steps,
      accumulation: 1,
      gate: o.gate,
      signal: o.signal,
      now: o.now,
      hyper: () => ({ lr: o.sft.lr, ...o.sft.optimizer }),
      microBatch: () => {
        const batchRows = nextBatch().map((i) => rows[i]);
        const T = bucketLength(Math.max(...batchRows.map((r) => r.ids.length)));
        const batch = padRows(batchRows, o.tokenizer.padId, T);
        let tokens = 0;
        for (const len of batch.lengths) tokens += len;
        const feeds = sequenceFeeds(batch);
        // LoRA dropout (PEFT applies it in every training pass): one mask seed per micro-batch.
        if ((o.policy.lora?.dropout ?? 0) > 0) {
          feeds[LORA_DROPOUT_SEED] = Int32Array.of(deriveSeed(o.sft.orderSeed, `lora-dropout-${microBatches++}`) | 0);
        }
        return { T, feeds, tokens };
      },
      afterStep: (s) =>
        o.emit({
          kind: 'progress',
          stage: 'sft',
          done: s.step,
          total: o.sft.steps,
          message: `SFT step ${s.step}/${o.sft.steps}, loss ${s.loss.toFixed(4)}`,
        }),
    });
    return status === 'completed';
  } finally {
    loop.dispose();
  }
}
