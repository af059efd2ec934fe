/**
 * The experiment spec: one versioned, JSON-serialisable object that the worker, the CLI
 * (`orchard train --spec FILE`) and share links all use. Every field, its default and its bounds
 * are documented in ONE place: the field table above `DEFAULT_SPEC` in ./spec-defaults.ts.
 *
 * This module holds the types, the bounds (`SPEC_LIMITS`, also for UI sliders), and the functions:
 * - `validateSpec(x)`: strict check of a complete spec (unknown fields are errors: they are typos);
 * - `parseSpec(x)` / `parseSpecJson(text)`: migrate + fill defaults + validate, for hand-written
 *   partial files (the CLI's `--spec FILE`);
 * - `withDefaults(partial)`, `DEFAULT_SPEC` (re-exported from ./spec-defaults.ts);
 * - `specDiff(a, b)`: the leaf paths where two specs (or two runs) differ;
 * - `migrateSpec(x)`: brings older versions to the current one (only v1 exists).
 */
import { checkRepoId, checkRepoPath, checkRevision } from './hub/ids.ts';
import { DEFAULT_RUN, DEFAULT_SPEC, withDefaults } from './spec-defaults.ts';

export { DEFAULT_RUN, DEFAULT_SPEC, type PartialSpec, withDefaults } from './spec-defaults.ts';

export const SPEC_VERSION = 1;

export const BUNDLED_MODELS = ['orchard-tiny'] as const;
export const TASKS = ['apples'] as const;
export const DATA_FORMATS = ['auto', 'jpo', 'trl', 'sft'] as const;
export const PAIRING_MODES = ['conditional', 'joint', 'both'] as const;
export const JUDGES = ['oracle', 'human', 'reward-model'] as const;
export const OBJECTIVES = ['jpo', 'dpo', 'cdpo', 'robust', 'hinge', 'ipo', 'simpo', 'orpo', 'sft'] as const;
export const SCHEDULES = ['constant', 'linear', 'cosine'] as const;
export const REFERENCE_MODES = ['precomputed', 'frozen-copy', 'adapters-off'] as const;
export const LORA_MODULES = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export const BACKENDS = ['auto', 'webgpu', 'cpu'] as const;
export const EVAL_BASELINES = ['reference-model', 'gold'] as const;

export type BundledModelId = (typeof BUNDLED_MODELS)[number];
export type TaskId = (typeof TASKS)[number];
export type DataFormat = (typeof DATA_FORMATS)[number];
export type PairSet = (typeof PAIRING_MODES)[number];
export type Judge = (typeof JUDGES)[number];
export type Objective = (typeof OBJECTIVES)[number];
export type ScheduleKind = (typeof SCHEDULES)[number];
export type ReferenceMode = (typeof REFERENCE_MODES)[number];
export type LoraModule = (typeof LORA_MODULES)[number];
export type BackendChoice = (typeof BACKENDS)[number];
export type EvalBaseline = (typeof EVAL_BASELINES)[number];

export type ModelSpec =
  | { source: 'bundled'; id: BundledModelId }
  | { source: 'hub'; repo: string; revision: string }
  | { source: 'local'; path: string };

/** One comparison in the paper's format; conditional when i_chosen === i_reject. */
export interface PreferenceRow {
  i_chosen: string;
  r_chosen: string;
  i_reject: string;
  r_reject: string;
}

/** A flat data row given inline (fields depend on `format`). */
export type InlineRow = Record<string, string | number | boolean | null>;

export type DataOrigin =
  | { source: 'task'; task: TaskId; nInstructions: number; candidatesPerInstruction: number }
  | { source: 'file'; path: string; format: DataFormat }
  | { source: 'file'; rows: InlineRow[]; format: DataFormat }
  | { source: 'hub'; repo: string; revision: string; file: string; format: DataFormat };

export interface PairingSpec {
  mode: PairSet;
  budget: number | null;
  judge: Judge;
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
};

export interface SftSpec {
  steps: number;
  lr: number;
  batchSize: number;
}

export interface RunSpec {
  label: string;
  objective: Objective;
  pairs: PairSet;
  beta: number;
  labelSmoothing: number;
  simpoGamma: number;
  orpoLambda: number;
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
}

export interface EvalSpec {
  nTest: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  judge: Judge;
  compareAgainst: EvalBaseline;
}

export interface ExperimentSpec {
  version: 1;
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
  reference: ReferenceMode;
  eval: EvalSpec;
  backend: BackendChoice;
}

export interface SpecError {
  /** Where, e.g. 'runs[1].beta'. */
  path: string;
  /** What is wrong, the value found, and how to fix it. */
  message: string;
}

export type SpecResult = { ok: true; spec: ExperimentSpec } | { ok: false; errors: SpecError[] };

/** A numeric bound: [min, max] with optional exclusive ends; `int` asks for whole numbers. */
export interface Bound {
  min: number;
  max: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  int?: boolean;
}

const int = (min: number, max: number): Bound => ({ min, max, int: true });

/** Bounds that keep a spec sane and protect the browser; UIs use them for sliders. */
export const SPEC_LIMITS = {
  seed: int(0, 2 ** 32 - 1),
  nInstructions: int(4, 10_000),
  candidatesPerInstruction: int(2, 16),
  budget: int(1, 1_000_000),
  maxLength: int(8, 4096),
  maxPromptLength: int(1, 4095),
  sftSteps: int(1, 100_000),
  steps: int(1, 100_000),
  epochs: int(1, 1000),
  batchSize: int(1, 256),
  gradAccumulation: int(1, 256),
  lr: { min: 0, max: 1, minExclusive: true } as Bound,
  beta: { min: 0, max: 100, minExclusive: true } as Bound,
  labelSmoothing: { min: 0, max: 0.5, maxExclusive: true } as Bound,
  simpoGamma: { min: 0, max: 100 } as Bound,
  orpoLambda: { min: 0, max: 100, minExclusive: true } as Bound,
  adamBeta: { min: 0, max: 1, maxExclusive: true } as Bound,
  eps: { min: 0, max: 1, minExclusive: true } as Bound,
  weightDecay: { min: 0, max: 10 } as Bound,
  maxGradNorm: { min: 0, max: 1e6, minExclusive: true } as Bound,
  warmupSteps: int(0, 100_000),
  loraR: int(1, 256),
  loraAlpha: { min: 0, max: 4096, minExclusive: true } as Bound,
  nTest: int(0, 10_000),
  maxNewTokens: int(1, 1024),
  temperature: { min: 0, max: 10 } as Bound,
  topK: int(0, 100_000),
  topP: { min: 0, max: 1, minExclusive: true } as Bound,
  runs: int(1, 4),
  nameLength: 100,
  labelLength: 40,
  pathLength: 1024,
  templateLength: 1000,
  inlineRows: 2000,
  inlineFields: 16,
  textLength: 8000,
  editsAdd: 64,
  editsRemove: 1000,
} as const;

/** Keys that could reach an object's prototype when merged; never valid anywhere in a spec. */
export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

// ---------- migration ----------

export type MigrateResult = { ok: true; spec: Record<string, unknown> } | { ok: false; errors: SpecError[] };

/** Brings a spec of any known version to the current version's shape (not yet validated). */
export function migrateSpec(input: unknown): MigrateResult {
  if (!isPlainObject(input)) {
    return fail('', `an experiment spec must be a JSON object (got ${show(input)})`);
  }
  const version = input.version;
  if (version === undefined) {
    return fail('version', `is missing; add "version": ${SPEC_VERSION} (the spec format this file was written for)`);
  }
  if (version === SPEC_VERSION) return { ok: true, spec: input };
  if (typeof version === 'number' && Number.isInteger(version) && version > SPEC_VERSION) {
    return fail(
      'version',
      `is ${version}, made by a newer Orchard; this build reads spec version ${SPEC_VERSION}: update Orchard to open it`,
    );
  }
  // Older versions will be upgraded here, one step at a time (v1 -> v2 -> ...).
  return fail('version', `${show(version)} is not a known spec version; the only version is ${SPEC_VERSION}`);
}

/** Migrate, fill defaults, validate: for hand-written files that give only some fields. */
export function parseSpec(input: unknown): SpecResult {
  const migrated = migrateSpec(input);
  if (!migrated.ok) return migrated;
  return validateSpec(withDefaults(migrated.spec as never));
}

/** `parseSpec` of a spec file's text; a JSON syntax error becomes a SpecError too. */
export function parseSpecJson(text: string): SpecResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail('', `the spec is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseSpec(value);
}

export function formatSpecErrors(errors: SpecError[]): string {
  return errors.map((e) => `${e.path || '(spec)'}: ${e.message}`).join('\n');
}

// ---------- validation ----------

/** Strict check of a complete spec; returns a deep copy on success, every problem found otherwise. */
export function validateSpec(input: unknown): SpecResult {
  const migrated = migrateSpec(input);
  if (!migrated.ok) return migrated;
  const c = new Checker();
  const s = c.record(migrated.spec, '', TOP_FIELDS);
  if (!s) return { ok: false, errors: c.errors };

  c.string(s.name, 'name', 1, SPEC_LIMITS.nameLength, 'give the experiment a short name');
  c.number(s.seed, 'seed', SPEC_LIMITS.seed, 'every random choice derives from this one seed');
  checkModel(c, s.model);
  const data = checkData(c, s.data);
  if (s.sft !== null) {
    const sft = c.record(s.sft, 'sft', SFT_FIELDS, 'or null to skip supervised fine-tuning');
    if (sft) {
      c.number(sft.steps, 'sft.steps', SPEC_LIMITS.sftSteps);
      c.number(sft.lr, 'sft.lr', SPEC_LIMITS.lr, 'a typical LoRA rate is 1e-4 to 1e-3');
      c.number(sft.batchSize, 'sft.batchSize', SPEC_LIMITS.batchSize);
    }
  }
  checkRuns(c, s.runs, data);
  checkTraining(c, s);
  checkEval(c, s.eval, data);
  c.oneOf(s.backend, 'backend', BACKENDS, '"auto" picks WebGPU when the device has it');

  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return { ok: true, spec: canonical(s, '') as ExperimentSpec };
}

const TOP_FIELDS = [
  'version',
  'name',
  'seed',
  'model',
  'data',
  'sft',
  'runs',
  'optimizer',
  'schedule',
  'batchSize',
  'gradAccumulation',
  'steps',
  'epochs',
  'lora',
  'reference',
  'eval',
  'backend',
] as const;

const SFT_FIELDS = ['steps', 'lr', 'batchSize'] as const;
const PAIRING_FIELDS = ['mode', 'budget', 'judge'] as const;
const EDITS_FIELDS = ['add', 'remove'] as const;
const OPTIMIZER_FIELDS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'maxGradNorm'] as const;
const SCHEDULE_FIELDS = ['kind', 'warmupSteps'] as const;
const LORA_FIELDS = ['enabled', 'r', 'alpha', 'targetModules'] as const;
const EVAL_FIELDS = ['nTest', 'maxNewTokens', 'temperature', 'topK', 'topP', 'judge', 'compareAgainst'] as const;

const MODEL_FIELDS: Record<ModelSpec['source'], readonly string[]> = {
  bundled: ['source', 'id'],
  hub: ['source', 'repo', 'revision'],
  local: ['source', 'path'],
};

function checkModel(c: Checker, value: unknown): void {
  const source = c.variant(value, 'model', MODEL_FIELDS);
  if (!source) return;
  const m = c.record(value, 'model', MODEL_FIELDS[source], undefined, MODEL_FIELDS);
  if (!m) return;
  if (source === 'bundled') c.oneOf(m.id, 'model.id', BUNDLED_MODELS);
  if (source === 'hub') {
    c.checked(checkRepoId(m.repo), 'model.repo');
    c.checked(checkRevision(m.revision), 'model.revision');
  }
  if (source === 'local') c.path(m.path, 'model.path', 'a folder with config.json, tokenizer.json and *.safetensors');
}

const DATA_COMMON = ['pairing', 'edits', 'maxLength', 'maxPromptLength', 'template'];
const DATA_FIELDS: Record<DataOrigin['source'], readonly string[]> = {
  task: ['source', 'task', 'nInstructions', 'candidatesPerInstruction', ...DATA_COMMON],
  file: ['source', 'path', 'rows', 'format', ...DATA_COMMON],
  hub: ['source', 'repo', 'revision', 'file', 'format', ...DATA_COMMON],
};
const ROW_FIELDS = ['i_chosen', 'r_chosen', 'i_reject', 'r_reject'] as const;

/** Returns what later cross-checks need from `data`, or null when it is too broken to say. */
function checkData(c: Checker, value: unknown): { source: DataOrigin['source']; mode: PairSet | null } | null {
  const source = c.variant(value, 'data', DATA_FIELDS);
  if (!source) return null;
  const d = c.record(
    value,
    'data',
    DATA_FIELDS[source],
    undefined,
    DATA_FIELDS,
    source === 'file' ? ['path', 'rows'] : [],
  );
  if (!d) return null;
  if (source === 'task') {
    c.oneOf(d.task, 'data.task', TASKS);
    c.number(d.nInstructions, 'data.nInstructions', SPEC_LIMITS.nInstructions, 'training instructions to generate');
    c.number(d.candidatesPerInstruction, 'data.candidatesPerInstruction', SPEC_LIMITS.candidatesPerInstruction);
  } else if (source === 'file') {
    const hasPath = d.path !== undefined;
    const hasRows = d.rows !== undefined;
    if (hasPath === hasRows) {
      c.fail(
        'data',
        `give exactly one of "path" (a data file) and "rows" (inline rows) (got ${hasPath ? 'both' : 'neither'})`,
      );
    } else if (hasPath) {
      c.path(d.path, 'data.path', 'a .json or .jsonl file');
    } else {
      checkInlineRows(c, d.rows);
    }
    c.oneOf(d.format, 'data.format', DATA_FORMATS, '"auto" detects the format from the field names');
  } else {
    c.checked(checkRepoId(d.repo), 'data.repo');
    c.checked(checkRevision(d.revision), 'data.revision');
    const file = checkRepoPath(d.file);
    c.checked(file, 'data.file');
    if (file.ok && !/\.(json|jsonl)$/i.test(file.value)) {
      c.fail('data.file', `must be a .json or .jsonl file of the dataset repository (got ${show(d.file)})`);
    }
    c.oneOf(d.format, 'data.format', DATA_FORMATS, '"auto" detects the format from the field names');
  }

  let mode: PairSet | null = null;
  const p = c.record(d.pairing, 'data.pairing', PAIRING_FIELDS);
  if (p) {
    mode = c.oneOf(p.mode, 'data.pairing.mode', PAIRING_MODES, 'JPO needs "joint" or "both"');
    if (p.budget !== null) c.number(p.budget, 'data.pairing.budget', SPEC_LIMITS.budget, 'or null for no limit');
    const judge = c.oneOf(p.judge, 'data.pairing.judge', JUDGES);
    if (judge === 'oracle' && source !== 'task') {
      c.fail(
        'data.pairing.judge',
        `"oracle" is the exact checker of a task and needs data.source "task" (got "${source}"); use "reward-model" or "human"`,
      );
    }
  }
  const e = c.record(d.edits, 'data.edits', EDITS_FIELDS);
  if (e) {
    if (c.array(e.add, 'data.edits.add', 0, SPEC_LIMITS.editsAdd)) {
      (e.add as unknown[]).forEach((row, i) => {
        const path = `data.edits.add[${i}]`;
        const r = c.record(row, path, ROW_FIELDS, 'a comparison in the paper format');
        if (r) for (const f of ROW_FIELDS) c.string(r[f], `${path}.${f}`, 1, SPEC_LIMITS.textLength);
      });
    }
    if (c.array(e.remove, 'data.edits.remove', 0, SPEC_LIMITS.editsRemove)) {
      const seen = new Set<unknown>();
      (e.remove as unknown[]).forEach((idx, i) => {
        c.number(idx, `data.edits.remove[${i}]`, int(0, 999_999), 'indices into the labelled pair list');
        if (seen.has(idx)) c.fail(`data.edits.remove[${i}]`, `lists row ${show(idx)} twice; remove the duplicate`);
        seen.add(idx);
      });
    }
  }
  const maxLength = c.number(
    d.maxLength,
    'data.maxLength',
    SPEC_LIMITS.maxLength,
    'tokens per sequence, prompt included',
  );
  const maxPrompt = c.number(d.maxPromptLength, 'data.maxPromptLength', SPEC_LIMITS.maxPromptLength);
  if (maxLength !== null && maxPrompt !== null && maxPrompt >= maxLength) {
    c.fail(
      'data.maxPromptLength',
      `must be less than data.maxLength (${maxLength}) to leave room for the response (got ${maxPrompt})`,
    );
  }
  const template = c.string(d.template, 'data.template', 1, SPEC_LIMITS.templateLength);
  if (template !== null && template.split('{instruction}').length !== 2) {
    c.fail(
      'data.template',
      `must contain "{instruction}" exactly once, where the instruction goes (got ${show(template)})`,
    );
  }
  return { source, mode };
}

function checkInlineRows(c: Checker, rows: unknown): void {
  if (!c.array(rows, 'data.rows', 1, SPEC_LIMITS.inlineRows)) return;
  (rows as unknown[]).forEach((row, i) => {
    const path = `data.rows[${i}]`;
    if (!isPlainObject(row)) {
      c.fail(path, `must be an object of field names to text (got ${show(row)})`);
      return;
    }
    const keys = Object.keys(row);
    if (keys.length === 0 || keys.length > SPEC_LIMITS.inlineFields) {
      c.fail(path, `must have 1 to ${SPEC_LIMITS.inlineFields} fields (got ${keys.length})`);
    }
    for (const k of keys) {
      const v = row[k];
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k) || (FORBIDDEN_KEYS as readonly string[]).includes(k)) {
        c.fail(`${path}.${k}`, `is not an allowed field name; use letters, digits and "_" (e.g. "i_chosen")`);
      } else if (typeof v === 'string') {
        if (v.length > SPEC_LIMITS.textLength)
          c.fail(`${path}.${k}`, `is ${v.length} characters; at most ${SPEC_LIMITS.textLength}`);
      } else if (!(v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
        c.fail(`${path}.${k}`, `must be text, a number, true/false or null (got ${show(v)})`);
      }
    }
  });
}

const RUN_FIELDS = ['label', 'objective', 'pairs', 'beta', 'labelSmoothing', 'simpoGamma', 'orpoLambda'] as const;

function checkRuns(c: Checker, value: unknown, data: ReturnType<typeof checkData>): void {
  if (!c.array(value, 'runs', SPEC_LIMITS.runs.min, SPEC_LIMITS.runs.max, 'e.g. a DPO run and a JPO run to compare'))
    return;
  const labels = new Map<string, number>();
  (value as unknown[]).forEach((item, i) => {
    const path = `runs[${i}]`;
    const r = c.record(item, path, RUN_FIELDS);
    if (!r) return;
    const label = c.string(r.label, `${path}.label`, 1, SPEC_LIMITS.labelLength);
    if (label !== null) {
      const first = labels.get(label);
      if (first !== undefined)
        c.fail(`${path}.label`, `"${label}" is also the label of runs[${first}]; give each run its own label`);
      else labels.set(label, i);
    }
    const objective = c.oneOf(r.objective, `${path}.objective`, OBJECTIVES);
    const pairs = c.oneOf(r.pairs, `${path}.pairs`, PAIRING_MODES);
    c.number(r.beta, `${path}.beta`, SPEC_LIMITS.beta, 'β scales the implicit reward; the paper uses 0.1');
    c.number(
      r.labelSmoothing,
      `${path}.labelSmoothing`,
      SPEC_LIMITS.labelSmoothing,
      'the label-noise ε of cdpo and robust',
    );
    c.number(r.simpoGamma, `${path}.simpoGamma`, SPEC_LIMITS.simpoGamma, 'the reward margin γ of SimPO');
    c.number(r.orpoLambda, `${path}.orpoLambda`, SPEC_LIMITS.orpoLambda, 'the weight λ of the odds-ratio term of ORPO');
    if (objective && pairs && pairs !== 'conditional' && objective !== 'jpo' && objective !== 'sft') {
      c.fail(
        `${path}.pairs`,
        `objective "${objective}" scores log π(y|x) under one shared instruction, so it trains on conditional pairs only ` +
          `(got "${pairs}"); set pairs to "conditional", or the objective to "jpo" to use joint pairs`,
      );
    } else if (pairs && data?.mode && data.mode !== 'both' && pairs !== data.mode) {
      c.fail(
        `${path}.pairs`,
        `"${pairs}" needs ${pairs === 'both' ? 'conditional and joint' : pairs} pairs, but data.pairing.mode is ` +
          `"${data.mode}"; set data.pairing.mode to "both", or this run's pairs to "${data.mode}"`,
      );
    }
  });
}

function checkTraining(c: Checker, s: Record<string, unknown>): void {
  const o = c.record(s.optimizer, 'optimizer', OPTIMIZER_FIELDS);
  if (o) {
    c.number(o.lr, 'optimizer.lr', SPEC_LIMITS.lr, 'AdamW step size; 1e-4 to 1e-3 suits LoRA on a tiny model');
    c.number(o.beta1, 'optimizer.beta1', SPEC_LIMITS.adamBeta, 'usually 0.9');
    c.number(o.beta2, 'optimizer.beta2', SPEC_LIMITS.adamBeta, 'usually 0.999');
    c.number(o.eps, 'optimizer.eps', SPEC_LIMITS.eps, 'usually 1e-8');
    c.number(
      o.weightDecay,
      'optimizer.weightDecay',
      SPEC_LIMITS.weightDecay,
      'decoupled (AdamW) decay; 0 turns it off',
    );
    if (o.maxGradNorm !== null)
      c.number(o.maxGradNorm, 'optimizer.maxGradNorm', SPEC_LIMITS.maxGradNorm, 'or null for no clipping');
  }
  c.number(s.batchSize, 'batchSize', SPEC_LIMITS.batchSize, 'pairs per optimizer micro-batch');
  c.number(s.gradAccumulation, 'gradAccumulation', SPEC_LIMITS.gradAccumulation, 'micro-batches per optimizer step');
  const steps = s.steps === null ? null : c.number(s.steps, 'steps', SPEC_LIMITS.steps);
  if (s.epochs !== null) c.number(s.epochs, 'epochs', SPEC_LIMITS.epochs);
  if ((s.steps === null) === (s.epochs === null)) {
    c.fail(
      'steps',
      `set exactly one of "steps" and "epochs" to a number and the other to null (got steps ${show(s.steps)}, epochs ${show(s.epochs)})`,
    );
  }
  const sch = c.record(s.schedule, 'schedule', SCHEDULE_FIELDS);
  if (sch) {
    c.oneOf(sch.kind, 'schedule.kind', SCHEDULES);
    const warmup = c.number(sch.warmupSteps, 'schedule.warmupSteps', SPEC_LIMITS.warmupSteps);
    if (warmup !== null && steps !== null && warmup >= steps) {
      c.fail(
        'schedule.warmupSteps',
        `must be less than steps (${steps}) (got ${warmup}); about a tenth of the steps is usual`,
      );
    }
  }
  const l = c.record(s.lora, 'lora', LORA_FIELDS);
  let loraOn: boolean | null = null;
  if (l) {
    loraOn = c.boolean(l.enabled, 'lora.enabled', 'false trains every weight');
    c.number(l.r, 'lora.r', SPEC_LIMITS.loraR, 'the adapter rank; the paper uses 8');
    c.number(
      l.alpha,
      'lora.alpha',
      SPEC_LIMITS.loraAlpha,
      'the adapter scale numerator (scale = alpha / r); the paper uses 16',
    );
    if (c.array(l.targetModules, 'lora.targetModules', 1, LORA_MODULES.length, 'e.g. ["q", "k", "v"]')) {
      const seen = new Set<unknown>();
      (l.targetModules as unknown[]).forEach((m, i) => {
        c.oneOf(m, `lora.targetModules[${i}]`, LORA_MODULES);
        if (seen.has(m)) c.fail(`lora.targetModules[${i}]`, `lists ${show(m)} twice; remove the duplicate`);
        seen.add(m);
      });
    }
  }
  const reference = c.oneOf(s.reference, 'reference', REFERENCE_MODES);
  if (reference === 'adapters-off' && loraOn === false) {
    c.fail(
      'reference',
      '"adapters-off" uses the model with its LoRA adapters switched off, so it needs lora.enabled true; use "precomputed" or "frozen-copy"',
    );
  }
}

function checkEval(c: Checker, value: unknown, data: ReturnType<typeof checkData>): void {
  const e = c.record(value, 'eval', EVAL_FIELDS);
  if (!e) return;
  c.number(e.nTest, 'eval.nTest', SPEC_LIMITS.nTest, 'held-out instructions to judge; 0 skips evaluation');
  c.number(e.maxNewTokens, 'eval.maxNewTokens', SPEC_LIMITS.maxNewTokens);
  c.number(e.temperature, 'eval.temperature', SPEC_LIMITS.temperature, '0 is greedy decoding');
  c.number(e.topK, 'eval.topK', SPEC_LIMITS.topK, '0 turns top-k off');
  c.number(e.topP, 'eval.topP', SPEC_LIMITS.topP, '1 turns nucleus sampling off');
  const judge = c.oneOf(e.judge, 'eval.judge', JUDGES);
  if (judge === 'oracle' && data && data.source !== 'task') {
    c.fail(
      'eval.judge',
      `"oracle" is the exact checker of a task and needs data.source "task" (got "${data.source}"); use "reward-model" or "human"`,
    );
  }
  c.oneOf(e.compareAgainst, 'eval.compareAgainst', EVAL_BASELINES);
}

/** Field order per object (arrays' items as `[]`): equal specs serialise, and share, identically. */
const FIELD_ORDER: Record<string, readonly string[]> = {
  '': TOP_FIELDS,
  model: [...new Set(Object.values(MODEL_FIELDS).flat())],
  data: [
    ...new Set(Object.values(DATA_FIELDS).flatMap((fields) => fields.filter((f) => !DATA_COMMON.includes(f)))),
    ...DATA_COMMON,
  ],
  'data.pairing': PAIRING_FIELDS,
  'data.edits': EDITS_FIELDS,
  'data.edits.add[]': ROW_FIELDS,
  sft: SFT_FIELDS,
  'runs[]': RUN_FIELDS,
  optimizer: OPTIMIZER_FIELDS,
  schedule: SCHEDULE_FIELDS,
  lora: LORA_FIELDS,
  eval: EVAL_FIELDS,
};

/** A deep copy with fields in FIELD_ORDER; objects not listed there (inline data rows) keep their order. */
function canonical(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, `${path}[]`));
  if (!isPlainObject(value)) return value;
  const order = FIELD_ORDER[path] ?? [];
  const keys = [
    ...order.filter((k) => Object.hasOwn(value, k)),
    ...Object.keys(value).filter((k) => !order.includes(k)),
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = canonical(value[k], joinPath(path, k));
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Collects errors; each check returns the value when valid, else null. */
class Checker {
  readonly errors: SpecError[] = [];

  /** Keeps the first problem per path: a missing field is not also reported as "not a number". */
  fail(path: string, message: string): void {
    if (!this.errors.some((e) => e.path === path)) this.errors.push({ path, message });
  }

  /**
   * An object with exactly `fields` (minus `optional` ones, which may be absent). Unknown keys are
   * errors, with a "did you mean" or, for a key of another variant, the variant it belongs to.
   */
  record(
    value: unknown,
    path: string,
    fields: readonly string[],
    hint?: string,
    variants?: Record<string, readonly string[]>,
    optional: readonly string[] = [],
  ): Record<string, unknown> | null {
    if (!isPlainObject(value)) {
      this.fail(
        path,
        `must be an object with fields ${fields.join(', ')} (got ${show(value)})${hint ? `; ${hint}` : ''}`,
      );
      return null;
    }
    for (const key of Object.keys(value)) {
      if (fields.includes(key)) continue;
      const owner = variants && Object.entries(variants).find(([, fs]) => fs.includes(key))?.[0];
      const message = owner
        ? `belongs to ${path}.source "${owner}", not "${String(value.source)}"; remove it or set ${path}.source to "${owner}"`
        : unknownFieldMessage(key, fields);
      this.fail(joinPath(path, key), message);
    }
    for (const f of fields) {
      if (value[f] === undefined && !optional.includes(f)) {
        const where = joinPath(path, f);
        const def = defaultAt(where);
        this.fail(where, `is missing; add it${def === undefined ? '' : ` (default: ${showValue(def)})`}`);
      }
    }
    // Returned even with problems, so the fields that are there still get checked.
    return value;
  }

  /** The `source` of a discriminated object, validated against the variants' names. */
  variant<K extends string>(value: unknown, path: string, variants: Record<K, readonly string[]>): K | null {
    if (!isPlainObject(value)) {
      this.fail(path, `must be an object with a "source" field (got ${show(value)})`);
      return null;
    }
    return this.oneOf(value.source, joinPath(path, 'source'), Object.keys(variants) as K[]);
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], hint?: string): T | null {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const guess = typeof value === 'string' ? closest(value, allowed) : null;
    this.fail(
      path,
      `must be one of ${allowed.map((a) => `"${a}"`).join(', ')} (got ${show(value)})` +
        (guess ? `; did you mean "${guess}"?` : hint ? `; ${hint}` : ''),
    );
    return null;
  }

  number(value: unknown, path: string, bound: Bound, hint?: string): number | null {
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!bound.int || Number.isInteger(value)) &&
      (bound.minExclusive ? value > bound.min : value >= bound.min) &&
      (bound.maxExclusive ? value < bound.max : value <= bound.max);
    if (ok) return value as number;
    const what = bound.int ? 'a whole number' : 'a number';
    const range = `${bound.minExclusive ? '>' : '≥'} ${bound.min} and ${bound.maxExclusive ? '<' : '≤'} ${bound.max}`;
    const quoted =
      typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? '; remove the quotes' : '';
    this.fail(path, `must be ${what} ${range} (got ${show(value)})${quoted}${hint ? `; ${hint}` : ''}`);
    return null;
  }

  string(value: unknown, path: string, min: number, max: number, hint?: string): string | null {
    if (typeof value === 'string' && value.length >= min && value.length <= max) return value;
    const got = typeof value === 'string' ? `${value.length} characters` : show(value);
    this.fail(path, `must be text of ${min} to ${max} characters (got ${got})${hint ? `; ${hint}` : ''}`);
    return null;
  }

  boolean(value: unknown, path: string, hint?: string): boolean | null {
    if (typeof value === 'boolean') return value;
    this.fail(path, `must be true or false (got ${show(value)})${hint ? `; ${hint}` : ''}`);
    return null;
  }

  array(value: unknown, path: string, min: number, max: number, hint?: string): boolean {
    if (Array.isArray(value) && value.length >= min && value.length <= max) return true;
    const got = Array.isArray(value) ? `${value.length} items` : show(value);
    this.fail(path, `must be a list of ${min} to ${max} items (got ${got})${hint ? `; ${hint}` : ''}`);
    return false;
  }

  path(value: unknown, path: string, what: string): void {
    const s = this.string(value, path, 1, SPEC_LIMITS.pathLength, `the path of ${what}`);
    if (s?.includes('\u0000')) this.fail(path, 'must not contain NUL characters');
  }

  checked(result: { ok: true } | { ok: false; message: string }, path: string): void {
    if (!result.ok) this.fail(path, result.message);
  }
}

function unknownFieldMessage(key: string, fields: readonly string[]): string {
  if ((FORBIDDEN_KEYS as readonly string[]).includes(key)) return `"${key}" is a forbidden field name; remove it`;
  const guess = closest(key, fields);
  return guess
    ? `is not a field here; did you mean "${guess}"?`
    : `is not a field here (fields: ${fields.join(', ')}); remove it`;
}

/** The allowed word nearest to `word` (case-insensitive edit distance ≤ 2, or ≤ 1/3 of its length). */
function closest(word: string, allowed: readonly string[]): string | null {
  let best: string | null = null;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const a of allowed) {
    const d = editDistance(word.toLowerCase(), a.toLowerCase());
    if (d < bestDist) {
      best = a;
      bestDist = d;
    }
  }
  return best !== null && bestDist <= Math.max(2, Math.floor(word.length / 3)) && bestDist < word.length ? best : null;
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Number.POSITIVE_INFINITY;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

// ---------- diff ----------

export interface SpecDifference {
  /** e.g. 'runs[1].beta'; a whole object when its `source` differs (e.g. 'model'). */
  path: string;
  /** The value in each spec; undefined where the path does not exist on that side. */
  a: unknown;
  b: unknown;
}

/**
 * Leaf paths where two specs differ (also works on two runs, or any JSON values). Lists of objects
 * compare item by item; lists of plain values and objects of different `source` compare whole.
 */
export function specDiff(a: unknown, b: unknown): SpecDifference[] {
  const out: SpecDifference[] = [];
  diffInto(a, b, '', out);
  return out;
}

/** "runs[1].beta: 0.1 → 0.5" lines, for labels and logs. */
export function formatSpecDiff(diffs: SpecDifference[]): string[] {
  return diffs.map((d) => `${d.path || '(spec)'}: ${showValue(d.a)} → ${showValue(d.b)}`);
}

function diffInto(a: unknown, b: unknown, path: string, out: SpecDifference[]): void {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b) && (a.some(isPlainObject) || b.some(isPlainObject))) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffInto(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isPlainObject(a) && isPlainObject(b) && a.source === b.source) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !Object.hasOwn(a, k))];
    for (const k of keys) diffInto(a[k], b[k], joinPath(path, k), out);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b) && a !== undefined && b !== undefined) return;
  out.push({ path, a, b });
}

// ---------- helpers ----------

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The default value at a path such as 'runs[1].beta' or 'data.pairing.judge' (undefined when none). */
function defaultAt(path: string): unknown {
  let node: unknown = DEFAULT_SPEC;
  for (const part of path.split('.')) {
    const m = part.match(/^(\w+)(?:\[(\d+)\])?$/);
    if (!m || !isPlainObject(node)) return undefined;
    node = m[1] === 'runs' && m[2] !== undefined ? DEFAULT_RUN : node[m[1]];
    if (m[1] !== 'runs' && m[2] !== undefined) node = Array.isArray(node) ? node[Number(m[2])] : undefined;
  }
  return node;
}

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

function showValue(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fail(path: string, message: string): { ok: false; errors: SpecError[] } {
  return { ok: false, errors: [{ path, message }] };
}
