/**
 * The spec schema: the field table (./fields-setup.ts, ./fields-training.ts, ./fields-eval-test.ts)
 * indexed by path, the
 * fields that older versions had, and the bounds UIs use for sliders (`SPEC_LIMITS`).
 */
import { EVAL_TEST_FIELDS } from './fields-eval-test.ts';
import { SETUP_FIELDS } from './fields-setup.ts';
import { TRAINING_FIELDS } from './fields-training.ts';
import { type Bound, type FieldSchema, SIZE_LIMITS } from './schema-kit.ts';

/** Every field of the spec, in canonical order (the order a validated spec's JSON has). */
export const SPEC_FIELDS: readonly FieldSchema[] = [...SETUP_FIELDS, ...TRAINING_FIELDS, ...EVAL_TEST_FIELDS];

const BY_PATH = new Map(SPEC_FIELDS.map((f) => [f.path, f]));

/** 'runs[1].beta' → 'runs[].beta': the table's path of a concrete path. */
export function schemaPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

/** The table entry of a concrete path ('runs[1].beta'), or undefined for no field. */
export function fieldAt(path: string): FieldSchema | undefined {
  return BY_PATH.get(schemaPath(path));
}

/** The object or list a field belongs to: '' for top-level fields, 'runs' for 'runs[].beta'. */
export function parentOf(path: string): string {
  const dot = path.lastIndexOf('.');
  const parent = dot < 0 ? '' : path.slice(0, dot);
  return parent.endsWith('[]') ? parent.slice(0, -2) : parent;
}

/** The last segment of a table path: 'beta' for 'runs[].beta'. */
export function keyOf(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

const CHILDREN = new Map<string, FieldSchema[]>();
for (const f of SPEC_FIELDS) {
  const p = parentOf(f.path);
  CHILDREN.set(p, [...(CHILDREN.get(p) ?? []), f]);
}

/** The fields directly inside the object (or list item) at table path `parent`. */
export function childrenOf(parent: string): readonly FieldSchema[] {
  return CHILDREN.get(parent) ?? [];
}

/** Fields of spec versions before this one, with what became of them (shown when one turns up). */
export const REMOVED_FIELDS: Readonly<Record<string, string>> = {
  reference:
    'was removed in spec version 2: the reference model is always the initial model, scored once before training (the three old modes gave identical numbers); remove it',
};

function boundOf(path: string): Bound {
  const b = BY_PATH.get(path)?.bound;
  if (!b) throw new Error(`spec schema: ${path} has no numeric bound`);
  return b;
}

/** Bounds that keep a spec sane and protect the browser; UIs use them for sliders. */
export const SPEC_LIMITS = {
  seed: boundOf('seed'),
  nInstructions: boundOf('data.nInstructions'),
  candidatesPerInstruction: boundOf('data.candidatesPerInstruction'),
  budget: boundOf('data.pairing.budget'),
  maxLength: boundOf('data.maxLength'),
  maxPromptLength: boundOf('data.maxPromptLength'),
  sftSteps: boundOf('sft.steps'),
  steps: boundOf('steps'),
  epochs: boundOf('epochs'),
  batchSize: boundOf('batchSize'),
  gradAccumulation: boundOf('gradAccumulation'),
  lr: boundOf('optimizer.lr'),
  beta: boundOf('runs[].beta'),
  labelSmoothing: boundOf('runs[].labelSmoothing'),
  simpoGamma: boundOf('runs[].simpoGamma'),
  orpoLambda: boundOf('runs[].orpoLambda'),
  adamBeta: boundOf('optimizer.beta1'),
  eps: boundOf('optimizer.eps'),
  weightDecay: boundOf('optimizer.weightDecay'),
  maxGradNorm: boundOf('optimizer.maxGradNorm'),
  warmupSteps: boundOf('schedule.warmupSteps'),
  loraR: boundOf('lora.r'),
  loraAlpha: boundOf('lora.alpha'),
  nTest: boundOf('eval.nTest'),
  maxNewTokens: boundOf('eval.maxNewTokens'),
  temperature: boundOf('eval.temperature'),
  topK: boundOf('eval.topK'),
  topP: boundOf('eval.topP'),
  runs: { min: BY_PATH.get('runs')?.length?.[0] ?? 1, max: BY_PATH.get('runs')?.length?.[1] ?? 1, int: true } as Bound,
  ...SIZE_LIMITS,
} as const;
