/**
 * The experiment spec resolved ONCE into a plain plan: what every stage of the pipeline needs, with
 * defaults applied, seeds derived and fingerprints computed. Stages receive their part of the plan
 * (`plan.data`, `plan.training`, one `RunPlan`, `plan.eval`), never the spec, so a rule such as
 * "ORPO's β is its λ" or "the candidates are sampled with eval.maxNewTokens" lives here only.
 *
 * Fingerprints (one hash, `fingerprintOf`, of a stable JSON text) say which saved work still fits:
 * - `specFingerprint(spec)`: the experiment's identity (the spec without its name and eval
 *   settings); the checkpoint namespace of the browser (one per experiment) and the CLI's folder;
 * - `plan.fingerprints.shared`: what the data and the SFT stage depend on (the spec without its
 *   runs, name and eval settings, plus the candidates' length);
 * - `run.fingerprint`: what one run's training depends on (the shared part plus that run). So
 *   removing or changing one run never invalidates the checkpoints of the others.
 * The backend is not part of any fingerprint: a checkpoint records the backend that made it, and
 * the pipeline resumes it only on the same backend unless told otherwise (checkpoint.ts).
 */
import type { ResponseSeparator, TruncationRule } from '../data/sequence.ts';
import { type MaskMode, type ObjectiveParams, objectiveSpec, type Precision } from '../engine/index.ts';
import type { DecodingOptions, PromptOptions } from './pipeline/generation.ts';
import { deriveSeed, SEED_PURPOSE } from './pipeline/seeds.ts';
import { type KernelChoice, kernelChoice } from './spec/kernels.ts';
import type { EvalTestSource } from './spec/types.ts';
import {
  type BackendChoice,
  type DataSpec,
  type EvalBaseline,
  type EvalSplit,
  type ExperimentSpec,
  type JudgeKind,
  type LoraSpec,
  lossParamsOf,
  type ModelSpec,
  type Objective,
  type PairingSpec,
  type PairSet,
  type ScheduleKind,
} from './spec.ts';

/** How a pair is turned into token ids (src/data/sequence.ts). */
export interface EncodingPlan {
  template: string;
  maxLength: number;
  maxPromptLength: number;
  separator: ResponseSeparator | undefined;
  truncation: TruncationRule;
}

/** AdamW's settings besides the learning rate; maxGradNorm 0 means no clipping. */
export interface OptimizerPlan {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number;
}

export interface RunPlan {
  label: string;
  /** Position in the spec's runs (for messages naming `runs[k]`). */
  index: number;
  objective: Objective;
  pairs: PairSet;
  /**
   * With the "per-run" protocol: the share of this run's judge budget spent on joint comparisons
   * (0 for conditional pairs, 1 for joint ones, data.pairing.jointShare for both).
   */
  jointShare: number;
  /** The loss's parameters as the objective reads them (per-objective defaults applied; ORPO's β is λ). */
  loss: ObjectiveParams;
  /** The log-probs the objective scores: conditional (DPO family) or joint (JPO). */
  mode: MaskMode;
  usesReference: boolean;
  fingerprint: string;
}

export interface TrainingPlan {
  /** Pairs per micro-batch (at most; a run with fewer pairs uses all of them). */
  batchSize: number;
  gradAccumulation: number;
  /** Optimizer steps per run, or null to count them from `epochs`. */
  steps: number | null;
  epochs: number | null;
  lr: number;
  schedule: { kind: ScheduleKind; warmupSteps: number };
  optimizer: OptimizerPlan;
  /** Seed of the data order, the same for every run (the fairness rule, pipeline/train.ts). */
  orderSeed: number;
}

export interface SftPlan {
  steps: number;
  lr: number;
  batchSize: number;
  orderSeed: number;
  /** Seed of the fresh adapters after SFT is folded into the base. */
  rebaseSeed: number;
  optimizer: OptimizerPlan;
  /** The classroom task's training instructions are drawn with this seed. */
  instructionsSeed: number;
}

export interface DataPlan {
  /** Where the rows come from: the classroom task, a file, inline rows or the Hub. */
  source: DataSpec;
  encoding: EncodingPlan;
  pairing: PairingSpec & { seed: number };
  instructionsSeed: number;
  /** Decoding of the candidate responses (plain sampling at temperature 1, each item its own seed). */
  candidates: PromptOptions & DecodingOptions;
}

export interface EvalPlan {
  nTest: number;
  decoding: PromptOptions & DecodingOptions;
  judge: JudgeKind;
  compareAgainst: EvalBaseline;
  /** Where the held-out items come from (spec.eval.test); null: the task's, as before. */
  test: EvalTestSource | null;
  /** Task data: the held-out split reported on (apples.ts heldOutItems). */
  split: EvalSplit;
  /** Seed of a person's blind side order (pipeline/evaluate.ts). */
  blindSeed: number;
}

export interface ExperimentPlan {
  name: string;
  backend: BackendChoice;
  /** spec.precision ('f32' when left out): 'f16-weights' rounds frozen weights to f16. */
  precision: Precision;
  /** spec.attention and spec.lmHead ('auto' when left out): the kernels every graph builds. */
  kernels: KernelChoice;
  model: ModelSpec;
  lora: LoraSpec;
  loraInitSeed: number;
  data: DataPlan;
  sft: SftPlan | null;
  training: TrainingPlan;
  runs: RunPlan[];
  eval: EvalPlan;
  fingerprints: { experiment: string; shared: string };
}

/** Decoding of the candidate responses the pipeline judges and pairs. */
export const CANDIDATE_SAMPLING = { temperature: 1, topK: 0, topP: 1 } as const;

/**
 * The decoding of the evaluation (and of the samples shown while training), per spec.eval. The
 * pipeline and `orchard eval` both use it, so a report made from saved adapters decodes exactly as
 * the training run's did.
 */
export function evalDecoding(spec: ExperimentSpec): PromptOptions & DecodingOptions {
  return {
    template: spec.data.template,
    maxPromptLength: spec.data.maxPromptLength,
    maxNewTokens: spec.eval.maxNewTokens,
    temperature: spec.eval.temperature,
    topK: spec.eval.topK,
    topP: spec.eval.topP,
    seed: deriveSeed(spec.seed, SEED_PURPOSE.evalDecoding),
  };
}

/** Resolves a validated spec into the plan the stages run. */
export function planExperiment(spec: ExperimentSpec): ExperimentPlan {
  const seed = spec.seed;
  const d = spec.data;
  const encoding: EncodingPlan = {
    template: d.template,
    maxLength: d.maxLength,
    maxPromptLength: d.maxPromptLength,
    separator: d.separator,
    truncation: d.truncation ?? 'trl',
  };
  const optimizer: OptimizerPlan = {
    beta1: spec.optimizer.beta1,
    beta2: spec.optimizer.beta2,
    eps: spec.optimizer.eps,
    weightDecay: spec.optimizer.weightDecay,
    maxGradNorm: spec.optimizer.maxGradNorm ?? 0,
  };
  const shared = sharedFingerprint(spec);
  return {
    name: spec.name,
    backend: spec.backend,
    precision: spec.precision ?? 'f32',
    kernels: kernelChoice(spec),
    model: spec.model,
    lora: spec.lora,
    loraInitSeed: deriveSeed(seed, SEED_PURPOSE.loraInit),
    data: {
      source: d,
      encoding,
      pairing: { ...d.pairing, seed: deriveSeed(seed, SEED_PURPOSE.pairing) },
      instructionsSeed: deriveSeed(seed, SEED_PURPOSE.instructions),
      candidates: {
        ...CANDIDATE_SAMPLING,
        template: d.template,
        maxPromptLength: d.maxPromptLength,
        maxNewTokens: spec.eval.maxNewTokens,
        seed: deriveSeed(seed, SEED_PURPOSE.sampling),
      },
    },
    sft: spec.sft && {
      ...spec.sft,
      orderSeed: deriveSeed(seed, SEED_PURPOSE.sftOrder),
      rebaseSeed: deriveSeed(seed, `${SEED_PURPOSE.loraInit}-after-sft`),
      optimizer,
      instructionsSeed: deriveSeed(seed, SEED_PURPOSE.instructions),
    },
    training: {
      batchSize: spec.batchSize,
      gradAccumulation: spec.gradAccumulation,
      steps: spec.steps,
      epochs: spec.epochs,
      lr: spec.optimizer.lr,
      schedule: { kind: spec.schedule.kind, warmupSteps: spec.schedule.warmupSteps },
      optimizer,
      orderSeed: deriveSeed(seed, SEED_PURPOSE.dataOrder),
    },
    runs: spec.runs.map((run, index) => {
      const objective = objectiveSpec(run.objective);
      return {
        label: run.label,
        index,
        objective: run.objective,
        pairs: run.pairs,
        jointShare: run.pairs === 'conditional' ? 0 : run.pairs === 'joint' ? 1 : d.pairing.jointShare,
        loss: lossParamsOf(run),
        mode: objective.mode,
        usesReference: objective.usesReference,
        fingerprint: fingerprintOf({ shared, run }),
      };
    }),
    eval: {
      nTest: spec.eval.nTest,
      decoding: evalDecoding(spec),
      judge: spec.eval.judge,
      compareAgainst: spec.eval.compareAgainst,
      // The paper's bundled data brings its own test file.
      test: spec.eval.test ?? (d.source === 'paper' ? { source: 'paper', dataset: d.dataset } : null),
      split: spec.eval.split,
      blindSeed: seed,
    },
    fingerprints: { experiment: specFingerprint(spec), shared },
  };
}

/**
 * The experiment's identity: everything that determines training (the spec without its name and
 * eval settings). Two specs with the same fingerprint train the same runs.
 */
export function specFingerprint(spec: ExperimentSpec): string {
  const { name: _name, eval: _eval, ...rest } = spec;
  return fingerprintOf(rest);
}

/** What the data and SFT stages depend on: the spec without runs, name and eval, plus the candidates' length. */
function sharedFingerprint(spec: ExperimentSpec): string {
  const { name: _name, eval: _eval, runs: _runs, ...rest } = spec;
  return fingerprintOf({ ...rest, candidateMaxNewTokens: spec.eval.maxNewTokens });
}

/** 64 bits of FNV-1a-style hashing of the value's stable JSON (sorted keys), as 16 hex digits. */
export function fingerprintOf(value: unknown): string {
  const text = stableJson(value);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
