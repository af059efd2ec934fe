/**
 * The experiment spec's TypeScript types (version 2). Written by hand for readable editor hints;
 * ./schema-check.ts proves at compile time that they and the field table (./fields-*.ts) list the
 * same fields, so neither can drift from the other.
 *
 * Vocabularies that another layer already defines are imported, not repeated: objective names
 * come from the engine's objective table, pair sets from the data layer's pairing modes, and an
 * added comparison is the data layer's PreferenceRow.
 */
import type { PairingMode } from '../../data/pairing.ts';
import type { PaperTestSet, PaperTrainSet } from '../../data/paper-data.ts';
import type { ResponseSeparator, TruncationRule } from '../../data/sequence.ts';
import type { PreferenceRow } from '../../data/types.ts';
import type { AttentionMode, LmHeadMode, ObjectiveName, Precision } from '../../engine/index.ts';

export const SPEC_VERSION = 2;

/**
 * Models that ship with the lab (public/models/<id>). orchard-tiny-2 is version 2's default;
 * orchard-tiny was version 1's (migration names it for v1 specs that give no model).
 */
export const BUNDLED_MODELS = ['orchard-tiny-2', 'orchard-tiny'] as const;
/** The bundled model a version-2 spec gets when it names none. */
export const DEFAULT_BUNDLED_MODEL: BundledModelId = 'orchard-tiny-2';
/** The bundled model a version-1 spec got when it named none (it must keep training on it). */
export const V1_DEFAULT_BUNDLED_MODEL: BundledModelId = 'orchard-tiny';
export const TASKS = ['apples'] as const;
export const DATA_FORMATS = ['auto', 'jpo', 'trl', 'sft'] as const;
/** Who labels a pair or compares two answers (the data layer's `Judge` is the object that does it). */
export const JUDGE_KINDS = ['oracle', 'annotator', 'human', 'reward-model'] as const;
/**
 * How runs get their labelled pairs: 'per-run' (budget-matched arms: every run asks the judge the
 * same number of questions about the same candidates, DPO only conditional ones, JPO the mix) or
 * 'shared' (one labelled pool, each run keeps the kinds it trains on: version 1's protocol).
 */
export const PAIRING_PROTOCOLS = ['per-run', 'shared'] as const;
/** Held-out split of the classroom task that evaluation reports on ('held-out': both, version 1). */
export const EVAL_SPLITS = ['test', 'validation', 'held-out'] as const;
export const SCHEDULES = ['constant', 'linear', 'cosine'] as const;
export const LORA_MODULES = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export const BACKENDS = ['auto', 'webgpu', 'cpu'] as const;
export const EVAL_BASELINES = ['reference-model', 'gold'] as const;
export const MODEL_SOURCES = ['bundled', 'hub', 'local'] as const;
export const DATA_SOURCES = ['task', 'file', 'hub', 'paper'] as const;

export type BundledModelId = (typeof BUNDLED_MODELS)[number];
export type TaskId = (typeof TASKS)[number];
export type DataFormat = (typeof DATA_FORMATS)[number];
/** Which pairs a run trains on, or the pairing builds: the data layer's pairing modes. */
export type PairSet = PairingMode;
export type JudgeKind = (typeof JUDGE_KINDS)[number];
export type PairingProtocol = (typeof PAIRING_PROTOCOLS)[number];
export type EvalSplit = (typeof EVAL_SPLITS)[number];
export type Objective = ObjectiveName;
export type ScheduleKind = (typeof SCHEDULES)[number];
export type LoraModule = (typeof LORA_MODULES)[number];
export type BackendChoice = (typeof BACKENDS)[number];
export type EvalBaseline = (typeof EVAL_BASELINES)[number];

export type ModelSpec =
  | { source: 'bundled'; id: BundledModelId }
  | { source: 'hub'; repo: string; revision: string }
  | { source: 'local'; path: string };

/**
 * Several files (a list for `data.path` or `data.file`) are read one by one, each with its own format
 * detection, and their rows concatenated in the order listed (the paper's conditional + joint files).
 */
export const MAX_DATA_FILES = 16;

/** A flat data row given inline (fields depend on `format`). */
export type InlineRow = Record<string, string | number | boolean | null>;

export type DataOrigin =
  | { source: 'task'; task: TaskId; nInstructions: number; candidatesPerInstruction: number }
  | { source: 'file'; path: string | string[]; format: DataFormat }
  | { source: 'file'; rows: InlineRow[]; format: DataFormat }
  | { source: 'hub'; repo: string; revision: string; file: string | string[]; format: DataFormat }
  | { source: 'paper'; dataset: PaperTrainSet; format: DataFormat };

export interface PairingSpec {
  mode: PairSet;
  protocol: PairingProtocol;
  budget: number | null;
  jointShare: number;
  judge: JudgeKind;
  annotator: AnnotatorSpec;
}

/** The simulated pairwise annotator's settings (src/data/judges/annotator.ts). */
export interface AnnotatorSpec {
  temperature: number;
  positionBias: number;
  tieMargin: number;
}

export interface DataEdits {
  add: PreferenceRow[];
  remove: number[];
}

export type DataSpec = DataOrigin & {
  pairing: PairingSpec;
  edits: DataEdits;
  maxLength: number;
  maxPromptLength: number;
  template: string;
  separator?: ResponseSeparator;
  /** Left out: 'trl'. Version 1 specs migrate to 'prompt-first', their rule. */
  truncation?: TruncationRule;
};

export interface SftSpec {
  steps: number;
  lr: number;
  batchSize: number;
}

/**
 * One run. The loss parameters are optional: left out, each takes the run's objective's own
 * default (engine/objectives/index.ts); `effectiveRunParams(run)` gives the numbers it trains with.
 */
export interface RunSpec {
  label: string;
  objective: Objective;
  pairs: PairSet;
  beta?: number;
  labelSmoothing?: number;
  simpoGamma?: number;
  orpoLambda?: number;
}

export interface OptimizerSpec {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number | null;
}

export interface ScheduleSpec {
  kind: ScheduleKind;
  warmupSteps: number;
}

export interface LoraSpec {
  enabled: boolean;
  r: number;
  alpha: number;
  targetModules: LoraModule[];
  /** PEFT's lora_dropout while training; left out: 0. */
  dropout?: number;
}

/**
 * Where evaluation's held-out items come from: the task's held-out instructions, or a file (a path,
 * CLI) or Hub dataset file of {instruction, gold_response} rows (the paper's test files) or
 * {instruction, response} rows (SFT files). Absent: the task's items for task data (else none).
 */
export const EVAL_TEST_SOURCES = ['task', 'file', 'hub', 'paper'] as const;

export type EvalTestSource =
  | { source: 'task' }
  | { source: 'file'; path: string }
  | { source: 'hub'; repo: string; revision: string; file: string }
  | { source: 'paper'; dataset: PaperTestSet };

export interface EvalSpec {
  nTest: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  judge: JudgeKind;
  compareAgainst: EvalBaseline;
  test?: EvalTestSource;
  split: EvalSplit;
}

export interface ExperimentSpec {
  version: typeof SPEC_VERSION;
  name: string;
  seed: number;
  model: ModelSpec;
  data: DataSpec;
  sft: SftSpec | null;
  runs: RunSpec[];
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  batchSize: number;
  gradAccumulation: number;
  steps: number | null;
  epochs: number | null;
  lora: LoraSpec;
  eval: EvalSpec;
  backend: BackendChoice;
  /** Left out: 'f32'. 'f16-weights' rounds frozen weights to f16 (engine/precision). */
  precision?: Precision;
  /** Left out: 'auto' (fused from 256 tokens on). Which causal attention the graphs build (spec/kernels.ts). */
  attention?: AttentionMode;
  /** Left out: 'auto' (chunked for large vocabularies and logits). Which LM head the log-probs use. */
  lmHead?: LmHeadMode;
}

export interface SpecError {
  /** Where, e.g. 'runs[1].beta'. */
  path: string;
  /** What is wrong, the value found, and how to fix it. */
  message: string;
}

export type SpecResult = { ok: true; spec: ExperimentSpec } | { ok: false; errors: SpecError[] };

type DeepPartial<T> = T extends (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A spec with any fields left out (a hand-written file, or a UI preset). */
export type PartialSpec = DeepPartial<ExperimentSpec>;
