/**
 * The reference model π_ref of DPO-family objectives. Every strategy is frozen, so its log-probs
 * are computed once, before training, for every pair (a table indexed by pair), and fed as inputs
 * (objectives/index.ts REF_INPUTS) at each step — no second model in the training graph.
 *
 * - 'initial': the policy as it starts (full fine-tuning: the initial weights; LoRA: base + fresh
 *   adapters, which equals the base since B starts at zero). The default, as in TRL.
 * - 'model': a separate frozen model (same tokenizer).
 * - 'lora-off': the policy's base weights without its adapters (TRL's reference with PEFT).
 * - 'none': reference-free objectives (simpo, orpo, sft).
 */
import type { Backend } from './backend.ts';
import type { Feeds, HostBatch } from './logprobs.ts';
import { padRows } from './logprobs.ts';
import type { LoraConfig } from './lora.ts';
import type { BuildOptions, LoadedModel } from './models/index.ts';
import { REF_INPUTS } from './objectives/index.ts';
import type { Precision } from './precision/index.ts';
import { type RowLogps, SequenceScorer } from './scorer.ts';

export type ReferenceStrategy =
  | { kind: 'initial' }
  | { kind: 'model'; model: LoadedModel }
  | { kind: 'lora-off' }
  | { kind: 'none' };

/** The policy before training. */
export interface PolicyAtStart {
  model: LoadedModel;
  /** Full weight map at the start (base weights, plus adapter weights under LoRA). */
  weights: ReadonlyMap<string, Float32Array>;
  lora?: LoraConfig;
}

export interface EncodedRow {
  ids: readonly number[];
  mask: readonly number[];
}

/** Reference log-probs of every pair: chosen/rejected x sum/mean, indexed by pair. */
export interface ReferenceTable {
  chosen: RowLogps;
  rejected: RowLogps;
}

export interface ReferenceOptions {
  backend: Backend;
  padId: number;
  /** Rows per forward pass (default 8). */
  batchSize?: number;
  /** Padded length for a longest row (default: roundUpTo16). */
  bucket?: (maxLen: number) => number;
  /** The policy's precision: under 'f16-weights' the scorer rounds the same frozen weights it does. */
  precision?: Precision;
  /** The policy's attention and LM head choice (default 'auto'), so reference scores use the same kernels. */
  kernels?: Pick<BuildOptions, 'attention' | 'lmHead'>;
}

/** The default padded length: few distinct shapes (one compiled graph each) for little padding. */
export const roundUpTo16 = (maxLen: number): number => Math.ceil(maxLen / 16) * 16;

/** Which weights score the reference, or null for 'none'. */
export function referenceScorerSource(
  strategy: ReferenceStrategy,
  policy: PolicyAtStart,
): { model: LoadedModel; weights: ReadonlyMap<string, Float32Array>; lora?: LoraConfig } | null {
  switch (strategy.kind) {
    case 'none':
      return null;
    case 'initial':
      // The scorer copies these into its own device tensors before training starts.
      return { model: policy.model, weights: policy.weights, lora: policy.lora };
    case 'lora-off':
      if (!policy.lora) throw new Error("reference 'lora-off' needs a LoRA policy; use 'initial' for full fine-tuning");
      return { model: policy.model, weights: policy.model.weights };
    case 'model':
      if (strategy.model.config.vocabSize !== policy.model.config.vocabSize) {
        throw new Error(
          `reference model ${strategy.model.name} has vocab_size ${strategy.model.config.vocabSize} but the policy has ${policy.model.config.vocabSize}; they must share a tokenizer`,
        );
      }
      return { model: strategy.model, weights: strategy.model.weights };
  }
}

/** Scores every pair's chosen and rejected rows with the reference (null for 'none'). */
export async function computeReferenceTable(
  strategy: ReferenceStrategy,
  policy: PolicyAtStart,
  pairs: { chosen: readonly EncodedRow[]; rejected: readonly EncodedRow[] },
  opts: ReferenceOptions,
): Promise<ReferenceTable | null> {
  const source = referenceScorerSource(strategy, policy);
  if (!source) return null;
  if (pairs.chosen.length !== pairs.rejected.length) {
    throw new Error(
      `computeReferenceTable: ${pairs.chosen.length} chosen rows vs ${pairs.rejected.length} rejected rows`,
    );
  }
  const scorer = new SequenceScorer(
    source.model,
    source.weights,
    opts.backend,
    source.lora,
    opts.precision,
    opts.kernels,
  );
  try {
    return {
      chosen: await scoreAll(scorer, pairs.chosen, opts),
      rejected: await scoreAll(scorer, pairs.rejected, opts),
    };
  } finally {
    scorer.dispose();
  }
}

/** Scores rows in batches of batchSize, each padded to its bucket. */
export async function scoreAll(
  scorer: SequenceScorer,
  rows: readonly EncodedRow[],
  opts: ReferenceOptions,
): Promise<RowLogps> {
  const n = rows.length;
  const size = opts.batchSize ?? 8;
  const bucket = opts.bucket ?? roundUpTo16;
  const out: RowLogps = { sum: new Float32Array(n), mean: new Float32Array(n) };
  for (let start = 0; start < n; start += size) {
    const chunk = rows.slice(start, start + size);
    const batch: HostBatch = padRows(chunk, opts.padId, bucket(Math.max(...chunk.map((r) => r.ids.length))));
    const r = await scorer.score(batch);
    out.sum.set(r.sum, start);
    out.mean.set(r.mean, start);
  }
  return out;
}

/** The REF_INPUTS feeds for a batch of pairs (indices into the table). */
export function referenceFeeds(table: ReferenceTable, kind: 'sum' | 'mean', pairIndices: readonly number[]): Feeds {
  return {
    [REF_INPUTS.chosen]: Float32Array.from(pairIndices, (i) => table.chosen[kind][i]),
    [REF_INPUTS.rejected]: Float32Array.from(pairIndices, (i) => table.rejected[kind][i]),
  };
}
