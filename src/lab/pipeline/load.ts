/**
 * The load stage: the model and tokenizer the spec names, as the policy to train (LoRA adapters
 * initialised from the plan's seed when LoRA is on).
 */
import type { Tokenizer } from '../../data/tokenizer.ts';
import type { Backend } from '../../engine/index.ts';
import type { PipelineListener } from '../events.ts';
import type { ExperimentPlan } from '../plan.ts';
import type { Resolvers } from '../resolve.ts';
import type { ModelSpec } from '../spec.ts';
import { Policy } from './policy.ts';

export interface Loaded {
  policy: Policy;
  tokenizer: Tokenizer;
  /** What adapters record as their base model. */
  modelName: string;
}

export async function loadStage(
  plan: Pick<ExperimentPlan, 'model' | 'lora' | 'loraInitSeed' | 'training' | 'sft' | 'data' | 'precision' | 'kernels'>,
  backend: Backend,
  resolvers: Resolvers,
  emit: PipelineListener,
  signal: AbortSignal | undefined,
): Promise<Loaded> {
  emit({ kind: 'progress', stage: 'load', done: 0, total: 1, message: `loading ${describeModel(plan.model)}` });
  const resolved = await resolvers.model(plan.model, {
    signal,
    onProgress: (message, done, total) => emit({ kind: 'progress', stage: 'load', done, total, message }),
  });
  // A preference micro-batch feeds chosen and rejected rows; SFT feeds one row per example.
  const rows = Math.max(2 * plan.training.batchSize, plan.sft?.batchSize ?? 0);
  const step = { rows, length: plan.data.encoding.maxLength };
  const policy = new Policy(resolved.model, plan.lora, plan.loraInitSeed, backend, step, plan.precision, plan.kernels);
  for (const note of policy.notes) emit({ kind: 'log', level: 'info', message: note });
  const lora = policy.lora ? ` (LoRA r=${policy.lora.r})` : '';
  emit({
    kind: 'progress',
    stage: 'load',
    done: 1,
    total: 1,
    message: `${resolved.name} on ${backend.name}: ${policy.trainable.length} trainable tensors${lora}`,
  });
  return { policy, tokenizer: resolved.tokenizer, modelName: resolved.name };
}

function describeModel(m: ModelSpec): string {
  return m.source === 'bundled' ? m.id : m.source === 'local' ? m.path : `${m.repo}@${m.revision}`;
}
