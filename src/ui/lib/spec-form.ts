/**
 * What the experiment form does to a draft spec, as plain functions (no React), so tests can drive
 * the form's state exactly as the form does: write a field by path, switch a run's objective or
 * the pairing mode (and the fields that follow them), add a run, and say what an unset
 * per-objective field will be ("0.1 (cDPO default)").
 */
import {
  allowedPairSets,
  DEFAULT_SFT,
  defaultPairs,
  type ExperimentSpec,
  effectiveRunParams,
  type FieldSchema,
  fieldAt,
  getAt,
  mayUseJointPairs,
  OBJECTIVE_LABELS,
  type Objective,
  objectiveDefault,
  type PairSet,
  RUN_PARAM_FIELDS,
  type RunParamField,
  setAt,
  withDefaults,
} from '../../lab/spec.ts';

/**
 * The value an emptied number input stands for: null where the field allows it ("no limit"),
 * unset where the field is optional (its default applies), else NaN (validation explains it).
 */
export function emptyNumber(entry: FieldSchema): number | null | undefined {
  if (entry.nullable) return null;
  if (entry.optional) return undefined;
  return Number.NaN;
}

/** Writes a form value at `path`; a number input's empty text arrives as null. */
export function writeField(draft: ExperimentSpec, path: string, value: unknown): void {
  const entry = fieldAt(path);
  const isNumber = entry?.type === 'int' || entry?.type === 'number';
  setAt(draft, path, isNumber && value === null && entry ? emptyNumber(entry) : value);
}

/** The base model switched to another source: that source's own defaults. */
export function switchModelSource(draft: ExperimentSpec, source: string): void {
  draft.model = withDefaults({ model: { source } } as never).model;
}

/**
 * A run's objective changed. Its pairs become ones the new objective may use (JPO follows the
 * pairing), and a loss parameter that held the old objective's default is unset, so the new
 * objective's own default applies (a v1 link's "ε 0" must not turn cDPO into plain DPO).
 */
export function setRunObjective(draft: ExperimentSpec, index: number, objective: Objective): void {
  const run = draft.runs[index];
  const previous = run.objective;
  for (const f of RUN_PARAM_FIELDS) {
    if (run[f] !== undefined && run[f] === objectiveDefault(previous, f)) delete run[f];
  }
  run.objective = objective;
  if (!mayUseJointPairs(objective)) run.pairs = 'conditional';
  else if (objective === 'jpo') run.pairs = defaultPairs(objective, draft.data.pairing.mode);
}

/** The pairing mode changed: JPO runs follow it when they trained on pairs it no longer builds. */
export function setPairingMode(draft: ExperimentSpec, mode: PairSet): void {
  draft.data.pairing.mode = mode;
  for (const r of draft.runs) if (mode !== 'both' && r.pairs !== mode && r.objective === 'jpo') r.pairs = mode;
}

export function addRun(draft: ExperimentSpec): void {
  const used = new Set(draft.runs.map((r) => r.label));
  let label = 'IPO';
  for (let n = 2; used.has(label); n++) label = `IPO ${n}`;
  draft.runs.push({ label, objective: 'ipo', pairs: 'conditional' });
}

export function setSft(draft: ExperimentSpec, on: boolean): void {
  draft.sft = on ? { ...DEFAULT_SFT } : null;
}

/** The pair sets a run's "Trains on" offers. */
export function pairChoices(objective: Objective): readonly PairSet[] {
  return allowedPairSets(objective);
}

/** The run loss parameters the form shows for an objective (the others do not change its loss). */
export function runParamsShown(objective: Objective): RunParamField[] {
  return RUN_PARAM_FIELDS.filter((f) => fieldAt(`runs[].${f}`)?.usedBy?.includes(objective) ?? true);
}

/** "0.1 (cDPO default)" for an unset per-objective field at `path`; undefined for any other field. */
export function effectivePlaceholder(spec: ExperimentSpec, path: string): string | undefined {
  const m = path.match(/^runs\[(\d+)\]\.(\w+)$/);
  const entry = fieldAt(path);
  if (!m || !entry?.objectiveDefault || getAt(spec, path) !== undefined) return undefined;
  const run = spec.runs[Number(m[1])];
  if (!run || !Object.hasOwn(OBJECTIVE_LABELS, run.objective)) return undefined;
  const value = effectiveRunParams(run)[entry.objectiveDefault];
  return `${value} (${OBJECTIVE_LABELS[run.objective]} default)`;
}
