/**
 * Every field of the experiment spec (version 1), its default and its meaning, in one place.
 * Types and bounds: ./spec.ts (`SPEC_LIMITS`). The defaults are a small classroom comparison, DPO
 * vs JPO on the bundled tiny model and the apples task, sized to finish in a few minutes on a CPU.
 * The classroom sizes (steps, batch, lr, data counts) were tuned on orchard-tiny: with lr 5e-4 both
 * objectives beat the initial model on every seed tried (win-rate 65-81%, seeds 1-4, 128 test items);
 * lr 1e-3 gave 61-65%, and lr 2e-3 or 120 steps overfit and lost on some seeds (README, "Science").
 * The β, LoRA and template values are the paper's.
 *
 * A share link stores the whole spec, not a diff against these defaults, so changing a default
 * never changes what an old link reproduces.
 *
 * | field | default | allowed | meaning |
 * |---|---|---|---|
 * | `version` | 1 | 1 | spec format version; older versions are migrated, newer ones rejected |
 * | `name` | "DPO vs JPO on apples" | 1..100 chars | shown in the runs table |
 * | `seed` | 42 | integer 0..2^32-1 | the one seed: init, data generation, pairing, data order, sampling all derive from it |
 * | `model.source` | "bundled" | bundled, hub, local | where the base model comes from |
 * | `model.id` | "orchard-tiny" | orchard-tiny | (bundled) which bundled model |
 * | `model.repo` | none | "owner/name" | (hub) repository id |
 * | `model.revision` | "main" | branch, tag, refs/pr/N, commit | (hub) pin a commit hash to reproduce exactly |
 * | `model.path` | none | 1..1024 chars | (local) folder with config.json, tokenizer.json, *.safetensors (CLI) |
 * | `data.source` | "task" | task, file, hub | where training comparisons come from |
 * | `data.task` | "apples" | apples | (task) the classroom list task with an exact judge |
 * | `data.nInstructions` | 48 | 4..10000 | (task) training instructions generated from the seed |
 * | `data.candidatesPerInstruction` | 4 | 2..16 | (task) responses sampled per instruction to pair up |
 * | `data.path` | none | 1..1024 chars | (file) a .json/.jsonl file; exactly one of path and rows |
 * | `data.rows` | none | 1..2000 flat objects | (file) rows given inline (small data, fits a share link) |
 * | `data.format` | "auto" | auto, jpo, trl, sft | (file, hub) jpo: i_chosen/r_chosen/i_reject/r_reject; trl: prompt/chosen/rejected; sft: instruction/response (pairs are then built and judged) |
 * | `data.repo` | none | "owner/name" | (hub) dataset repository, e.g. jointpreferences/sft_and_pref_data |
 * | `data.revision` | "main" | like model.revision | (hub) dataset revision |
 * | `data.file` | none | .json/.jsonl path | (hub) file inside the dataset repository |
 * | `data.pairing.mode` | "both" | conditional, joint, both | which pairs to build/keep: same-instruction, different-instruction, or both |
 * | `data.pairing.budget` | 192 | 1..1e6 or null | judged pairs in total (with "both", half conditional and half joint); null: all |
 * | `data.pairing.judge` | "oracle" for task data, else "reward-model" | oracle, human, reward-model | who labels the pairs the pipeline builds (human: the lab asks the person, once per pair); rows that already carry a preference are used as given |
 * | `data.edits.add` | [] | ≤ 64 rows {i_chosen, r_chosen, i_reject, r_reject} | comparisons appended after pairing (lessons: "what if we add this pair?") |
 * | `data.edits.remove` | [] | ≤ 1000 distinct indices | 0-based indices into the labelled pair list (before shuffling), removed before `add` is appended |
 * | `data.maxLength` | 64 | 8..4096 | tokens per sequence, prompt included; longer rows are truncated |
 * | `data.maxPromptLength` | 40 | 1..maxLength-1 | tokens kept of the formatted prompt |
 * | `data.template` | "### Instructions: {instruction}\n\n### Response:" | contains {instruction} once | the paper's prompt template |
 * | `sft` | null | null or {steps, lr, batchSize} | optional supervised fine-tuning before preference training |
 * | `sft.steps` | 40 | 1..100000 | (when sft is set) |
 * | `sft.lr` | 1e-3 | (0, 1] | (when sft is set) |
 * | `sft.batchSize` | 8 | 1..256 | (when sft is set) |
 * | `runs` | DPO and JPO, see below | 1..4 runs | runs share model, data, data order and seed; only these fields differ |
 * | `runs[].label` | the objective's name ("DPO", "JPO", ...), made unique | 1..40 chars, unique | |
 * | `runs[].objective` | "dpo", "jpo" | jpo, dpo, cdpo, robust, hinge, ipo, simpo, orpo, sft | loss, see docs/jpo.md; jpo uses joint log π(x, y), the others conditional log π(y\|x) |
 * | `runs[].pairs` | "both" for jpo (when pairing allows), else "conditional" | conditional, joint, both | which pairs this run trains on; only jpo and sft may use joint pairs |
 * | `runs[].beta` | 0.1 | (0, 100] | β of the implicit reward (paper: 0.1) |
 * | `runs[].labelSmoothing` | 0 | [0, 0.5) | ε of cdpo and robust |
 * | `runs[].simpoGamma` | 0.5 | [0, 100] | margin γ of simpo |
 * | `runs[].orpoLambda` | 0.1 | (0, 100] | weight λ of orpo's odds-ratio term |
 * | `optimizer.lr` | 5e-4 | (0, 1] | AdamW learning rate (paper: 5e-5 for a 7B model; a tiny LoRA model needs more) |
 * | `optimizer.beta1` | 0.9 | [0, 1) | |
 * | `optimizer.beta2` | 0.999 | [0, 1) | |
 * | `optimizer.eps` | 1e-8 | (0, 1] | |
 * | `optimizer.weightDecay` | 0 | [0, 10] | decoupled weight decay |
 * | `optimizer.maxGradNorm` | 1 | (0, 1e6] or null | global gradient-norm clip; null: off |
 * | `schedule.kind` | "cosine" | constant, linear, cosine | learning-rate decay after warm-up (paper: cosine) |
 * | `schedule.warmupSteps` | 6 | 0..steps-1 | linear warm-up from 0 |
 * | `batchSize` | 8 | 1..256 | pairs per micro-batch |
 * | `gradAccumulation` | 1 | 1..256 | micro-batches per optimizer step (effective batch = batchSize × this) |
 * | `steps` | 60 | 1..100000 or null | optimizer steps; exactly one of steps and epochs is set |
 * | `epochs` | null | 1..1000 or null | passes over the pairs instead of a step count |
 * | `lora.enabled` | true | true, false | false trains every weight |
 * | `lora.r` | 8 | 1..256 | adapter rank (paper: 8) |
 * | `lora.alpha` | 16 | (0, 4096] | scale = alpha / r (paper: 16) |
 * | `lora.targetModules` | ["q", "k", "v"] | q, k, v, o, gate, up, down | which projections get adapters (paper: q, k, v) |
 * | `reference` | "precomputed" | precomputed, frozen-copy, adapters-off | how π_ref is scored: once before training, by a frozen copy, or by the policy with LoRA off |
 * | `eval.nTest` | 32 | 0..10000 | held-out instructions; 0 skips evaluation |
 * | `eval.maxNewTokens` | 24 | 1..1024 | generation length |
 * | `eval.temperature` | 0 | [0, 10] | 0 is greedy (paper: near-greedy) |
 * | `eval.topK` | 0 | 0..100000 | 0: off |
 * | `eval.topP` | 1 | (0, 1] | 1: off |
 * | `eval.judge` | "oracle" for task data, else "reward-model" | oracle, human, reward-model | who compares the two answers (both orders; tie = 0.5); human: the lab's worker asks the person blind (the two answers in a seeded random order, identical answers a tie without a question); another caller must supply env.judges.human or humanEval |
 * | `eval.compareAgainst` | "reference-model" | reference-model, gold | the other side of each comparison: the untrained model's answer or the gold answer |
 * | `backend` | "auto" | auto, webgpu, cpu | auto picks WebGPU when available |
 */
import type {
  DataOrigin,
  DataSpec,
  ExperimentSpec,
  Judge,
  ModelSpec,
  Objective,
  PairSet,
  RunSpec,
  SftSpec,
} from './spec.ts';

export const DEFAULT_RUN: Omit<RunSpec, 'label' | 'objective' | 'pairs'> = deepFreeze({
  beta: 0.1,
  labelSmoothing: 0,
  simpoGamma: 0.5,
  orpoLambda: 0.1,
});

/** The fields of `data` every source has. */
const DATA_COMMON_DEFAULTS: Omit<DataSpec, keyof DataOrigin> = {
  pairing: { mode: 'both', budget: 192, judge: 'oracle' },
  edits: { add: [], remove: [] },
  maxLength: 64,
  maxPromptLength: 40,
  template: '### Instructions: {instruction}\n\n### Response:',
};

export const DEFAULT_SFT: SftSpec = { steps: 40, lr: 1e-3, batchSize: 8 };

/** Frozen: callers edit a copy (`withDefaults()` or structuredClone), never the defaults. */
export const DEFAULT_SPEC: ExperimentSpec = deepFreeze({
  version: 1,
  name: 'DPO vs JPO on apples',
  seed: 42,
  model: { source: 'bundled', id: 'orchard-tiny' },
  data: {
    source: 'task',
    task: 'apples',
    nInstructions: 48,
    candidatesPerInstruction: 4,
    ...DATA_COMMON_DEFAULTS,
  },
  sft: null,
  runs: [
    { label: 'DPO', objective: 'dpo', pairs: 'conditional', ...DEFAULT_RUN },
    { label: 'JPO', objective: 'jpo', pairs: 'both', ...DEFAULT_RUN },
  ],
  optimizer: { lr: 5e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 },
  schedule: { kind: 'cosine', warmupSteps: 6 },
  batchSize: 8,
  gradAccumulation: 1,
  steps: 60,
  epochs: null,
  lora: { enabled: true, r: 8, alpha: 16, targetModules: ['q', 'k', 'v'] },
  reference: 'precomputed',
  eval: {
    nTest: 32,
    maxNewTokens: 24,
    temperature: 0,
    topK: 0,
    topP: 1,
    judge: 'oracle',
    compareAgainst: 'reference-model',
  },
  backend: 'auto',
});

const MODEL_DEFAULTS: Record<ModelSpec['source'], Record<string, unknown>> = {
  bundled: { source: 'bundled', id: 'orchard-tiny' },
  hub: { source: 'hub', revision: 'main' },
  local: { source: 'local' },
};

const DATA_ORIGIN_DEFAULTS: Record<DataSpec['source'], Record<string, unknown>> = {
  task: { source: 'task', task: 'apples', nInstructions: 48, candidatesPerInstruction: 4 },
  file: { source: 'file', format: 'auto' },
  hub: { source: 'hub', revision: 'main', format: 'auto' },
};

export const OBJECTIVE_LABELS: Record<Objective, string> = {
  jpo: 'JPO',
  dpo: 'DPO',
  cdpo: 'cDPO',
  robust: 'Robust DPO',
  hinge: 'Hinge',
  ipo: 'IPO',
  simpo: 'SimPO',
  orpo: 'ORPO',
  sft: 'SFT',
};

type DeepPartial<T> = T extends (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A spec with any fields left out (a hand-written file, or a UI preset). */
export type PartialSpec = DeepPartial<ExperimentSpec>;

/**
 * Fills every missing field from the table above. Fields that are present are kept as given, even
 * when wrong or unknown, so `validateSpec` can report them (a typo must not be dropped silently).
 * Some defaults follow other fields: `model`/`data` variants get their own defaults, judges are
 * "oracle" only for task data, a run's label and pairs follow its objective, and giving `epochs`
 * makes `steps` default to null.
 */
export function withDefaults(partial: PartialSpec = {}): ExperimentSpec {
  const p = partial as Record<string, unknown>;
  if (!isObject(p)) return p as unknown as ExperimentSpec; // validation reports it
  const out = merge(DEFAULT_SPEC, p) as Record<string, unknown>;

  out.model = mergeVariant(p.model, MODEL_DEFAULTS, DEFAULT_SPEC.model);
  const data = p.data;
  const originDefaults = isObject(data) && data.source !== undefined ? DATA_ORIGIN_DEFAULTS : null;
  const dataSource = isObject(data) ? (data.source ?? 'task') : 'task';
  const judge: Judge = dataSource === 'task' ? 'oracle' : 'reward-model';
  const commonDefaults = { ...DATA_COMMON_DEFAULTS, pairing: { ...DATA_COMMON_DEFAULTS.pairing, judge } };
  const origin = originDefaults ? mergeVariant(data, originDefaults, null) : merge(DEFAULT_SPEC.data, data);
  out.data = isObject(origin) ? merge(commonDefaults, origin) : origin;
  if (isObject(out.eval) && !(isObject(p.eval) && 'judge' in p.eval)) out.eval = { ...out.eval, judge };

  out.sft = p.sft === undefined || p.sft === null ? null : merge(DEFAULT_SFT, p.sft);
  const mode = isObject(out.data) && isObject(out.data.pairing) ? out.data.pairing.mode : 'both';
  out.runs = fillRuns(Array.isArray(p.runs) ? p.runs : [{ objective: 'dpo' }, { objective: 'jpo' }], mode);
  if (p.steps === undefined && p.epochs !== undefined && p.epochs !== null) out.steps = null;
  return out as unknown as ExperimentSpec;
}

function fillRuns(runs: unknown[], mode: unknown): unknown[] {
  const used = new Set(runs.map((r) => (isObject(r) && typeof r.label === 'string' ? r.label : null)));
  return runs.map((run) => {
    if (!isObject(run)) return run;
    const objective = run.objective as Objective;
    const derived: Record<string, unknown> = {
      pairs: defaultPairs(objective, mode),
      ...DEFAULT_RUN,
    };
    if (run.label === undefined) {
      const base = Object.hasOwn(OBJECTIVE_LABELS, objective) ? OBJECTIVE_LABELS[objective] : 'Run';
      let label = base;
      for (let n = 2; used.has(label); n++) label = `${base} ${n}`;
      used.add(label);
      derived.label = label;
    }
    return merge(derived, run);
  });
}

function defaultPairs(objective: Objective, mode: unknown): PairSet {
  if (objective !== 'jpo') return 'conditional';
  return mode === 'conditional' || mode === 'joint' ? mode : 'both';
}

function mergeVariant(value: unknown, variants: Record<string, Record<string, unknown>>, fallback: unknown): unknown {
  if (value === undefined) return clone(fallback);
  if (!isObject(value)) return value;
  const base = typeof value.source === 'string' ? variants[value.source] : undefined;
  return merge(base ?? {}, value);
}

/**
 * Deep merge of plain objects: `over` wins; objects merge key by key; arrays and other values
 * replace. Own properties are defined, never assigned, so a "__proto__" key in the input stays a
 * visible (and invalid) field instead of becoming the result's prototype.
 */
function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return clone(base);
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(base), ...Object.keys(over)])) {
    const value = Object.hasOwn(over, key) ? merge(base[key], over[key]) : clone(base[key]);
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
