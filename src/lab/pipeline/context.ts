/**
 * What the caller gives the pipeline (PipelineEnv) and what it gets back (ExperimentResult).
 */
import type { Judge } from '../../data/judges/types.ts';
import type { RunPairingCounts } from '../../data/run-pairing.ts';
import type { Backend } from '../../engine/index.ts';
import type { CheckpointStore } from '../checkpoint.ts';
import type { ComparedItem, EvalItem } from '../evaluate.ts';
import type { EvalReport, MetricsEvent, SamplesEvent, Stage } from '../events.ts';
import type { ExperimentPlan } from '../plan.ts';
import type { Resolvers } from '../resolve.ts';
import type { BackendChoice, ExperimentSpec, PairSet, RunSpec } from '../spec.ts';
import type { PreparedData } from './prepare-data.ts';
import type { TrainingSnapshots } from './snapshots.ts';

export interface PipelineEnv {
  /** A backend (the caller keeps it) or a factory (the pipeline disposes what it made). */
  backend: Backend | ((choice: BackendChoice) => Promise<Backend>);
  resolvers: Resolvers;
  checkpoints?: CheckpointStore;
  /** Continue checkpoints made on these backends too (after a GPU device loss: ['webgpu']). */
  adoptCheckpointsFrom?: readonly string[];
  /** Save the run in progress every this many optimizer steps (default 0: only on cancel and at the end). */
  checkpointEvery?: number;
  signal?: AbortSignal;
  /** Awaited between units of work; hold it to pause (see PauseController). */
  gate?: () => Promise<void>;
  /** Judges the spec may name besides the task oracle. */
  judges?: {
    human?: Judge;
    /** A person for evaluation when it is not the pairing one (default: `human`). */
    humanEval?: Judge;
    rewardModel?: () => Promise<Judge>;
  };
  /** Held-out items for data that is not the classroom task (the task brings its own test split). */
  evalItems?: EvalItem[];
  /** Clock for tokens_per_s and timings (default performance.now). */
  now?: () => number;
  /** Held-out instructions shown in samples events (default 4). */
  samples?: number;
  /** Receives each run's trainable params at a few steps, for the token-by-token margin view. */
  snapshots?: TrainingSnapshots;
}

export interface RunResult {
  label: string;
  objective: RunSpec['objective'];
  pairs: PairSet;
  /** 'failed': the run diverged; `error` says at which step and what to change. */
  status: 'completed' | 'cancelled' | 'failed';
  error: string | null;
  /** Training pairs this run used. */
  pairCount: number;
  /** The run's training pairs by kind (edits applied). */
  pairKinds: { conditional: number; joint: number };
  /** What the run's judge budget bought ("per-run" protocol); null when runs share one pool. */
  pairing: RunPairingCounts | null;
  /** Passes over the run's own pairs (steps × pairs per step / pairs). */
  epochs: number;
  steps: number;
  totalSteps: number;
  /** Every step logged (for a failed run: those before the failure). */
  metrics: MetricsEvent[];
  /** Trained params: the adapters under LoRA, else every weight (empty for a failed run). */
  trained: Map<string, Float32Array>;
  /** What to save: PEFT adapter files (adapter_config.json, adapter_model.safetensors) or a model folder. */
  files: Record<string, Uint8Array | string>;
  samples: SamplesEvent['samples'];
  eval: EvalReport | null;
  /** Every judged test item (answers, verdicts, scores). */
  evalItems: ComparedItem[];
}

export interface ExperimentResult {
  /** 'completed' also when some runs failed (see `failed`); 'cancelled' when the signal aborted. */
  status: 'completed' | 'cancelled';
  /** The stage where a cancelled experiment stopped. */
  stoppedAt: Stage | null;
  spec: ExperimentSpec;
  plan: ExperimentPlan;
  backend: Backend['name'];
  data: PreparedData | null;
  initial: { samples: SamplesEvent['samples']; answers: string[]; meanScore?: number };
  runs: RunResult[];
  /** The runs that failed (diverged), with why. */
  failed: { run: string; message: string }[];
  /** Wall seconds per stage (not deterministic). */
  timings: Partial<Record<Stage, number>>;
}
