/**
 * Training snapshots: the trainable params of each run at a few steps, handed to the caller as the
 * run trains (PipelineEnv.snapshots), for the token-by-token margin view (src/lab/token-margins.ts)
 * and its step scrubber. The pipeline only calls back; what to keep, and for how long, is the
 * caller's (the worker keeps them in memory for the finished experiment).
 */
import type { Tokenizer } from '../../data/tokenizer.ts';
import type { PreferenceRow } from '../../data/types.ts';
import type { LoadedModel, LoraConfig, Precision } from '../../engine/index.ts';
import type { EncodingPlan, ExperimentPlan, RunPlan } from '../plan.ts';
import type { KernelChoice } from '../spec/kernels.ts';
import type { RunPool } from './judge-and-pair.ts';
import type { Loaded } from './load.ts';

/** What the token view needs besides params, given once before the first run trains. */
export interface SnapshotContext {
  model: LoadedModel;
  lora: LoraConfig | null;
  tokenizer: Tokenizer;
  encoding: EncodingPlan;
  runs: readonly RunPlan[];
  /** Every param at the start of training (the reference of every run), for runs resumed finished. */
  initial: ReadonlyMap<string, Float32Array>;
  /** The policy's weight precision: the margins are scored as training scored them. */
  precision?: Precision;
  /** The policy's attention and LM head kernels (left out: 'auto'), for the same reason. */
  kernels?: KernelChoice;
  /** The pairs the spec added by hand (data.edits.add): the token view lists them all. */
  added?: readonly PreferenceRow[];
  /** Each run's training pairs by label, in the order the run encodes them (pair k = index k). */
  pairs: ReadonlyMap<string, readonly PreferenceRow[]>;
}

export interface TrainingSnapshots {
  /** The steps of a run of `totalSteps` to snapshot (0: before training; the last is always taken). */
  steps(totalSteps: number, fullFineTuning: boolean): ReadonlySet<number>;
  begin(ctx: SnapshotContext): void;
  /** The run's trainable params (the adapters under LoRA, else every weight) after `step` updates. */
  take(run: string, step: number, trainable: Map<string, Float32Array>): void;
}

/** Up to `max` steps from 0 to totalSteps, evenly spaced, both ends included. */
export function evenlySpacedSteps(totalSteps: number, max: number): Set<number> {
  const out = new Set<number>([0, totalSteps]);
  const n = Math.max(2, Math.min(max, totalSteps + 1));
  for (let k = 1; k < n - 1; k++) out.add(Math.round((k * totalSteps) / (n - 1)));
  return out;
}

/** The policy's part of the context (the model, its adapters' config, tokenizer and encoding). */
export function policySnapshotContext(loaded: Loaded, plan: ExperimentPlan): Omit<SnapshotContext, 'pairs'> {
  return {
    model: loaded.policy.model,
    lora: loaded.policy.lora,
    tokenizer: loaded.tokenizer,
    encoding: plan.data.encoding,
    runs: plan.runs,
    initial: loaded.policy.fullWeights(),
    precision: loaded.policy.precision,
    kernels: loaded.policy.kernels,
    added: plan.data.source.edits.add,
  };
}

/** Each run's training pairs, in the order reference.ts encodes them (pool k = poolIndex[k]). */
export function trainingPairs(
  pools: ReadonlyMap<string, RunPool>,
  runs: readonly RunPlan[],
): Map<string, PreferenceRow[]> {
  const out = new Map<string, PreferenceRow[]>();
  for (const run of runs) {
    const pool = pools.get(run.label);
    if (pool)
      out.set(
        run.label,
        pool.poolIndex.map((p) => pool.rows[p]),
      );
  }
  return out;
}
