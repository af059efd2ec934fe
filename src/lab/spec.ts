/**
 * The experiment spec's public entry point: one versioned, JSON-serialisable object that the
 * worker, the CLI (`orchard train --spec FILE`), saved runs and share links all use.
 *
 * Everything comes from one field table in ./spec/ (fields-setup.ts, fields-training.ts): each
 * field's path, type, bounds, default, label and help text. From it: the types (checked against
 * the table at compile time), `validateSpec` (with "did you mean"), `withDefaults`/`DEFAULT_SPEC`,
 * `SPEC_LIMITS`, the lab form's fields, and docs/spec.md (`npm run docs:spec`). Cross-field rules
 * live in ./spec/rules.ts, per-objective defaults come from the engine's objective table through
 * ./spec/objectives.ts, and ./spec/migrate.ts opens older versions.
 */
export { FORBIDDEN_KEYS, isPlainObject } from './spec/check.ts';
export { DEFAULT_SFT, DEFAULT_SPEC, withDefaults } from './spec/defaults.ts';
export { formatSpecDiff, type SpecDifference, specDiff } from './spec/diff.ts';
export { allowedJudges, defaultJudge, JUDGE_LABELS } from './spec/fields-setup.ts';
export { type MigrateResult, migrateSpec } from './spec/migrate.ts';
export {
  allowedPairSets,
  defaultPairs,
  type EffectiveRunParams,
  effectiveRunParams,
  lossParamsOf,
  mayUseJointPairs,
  OBJECTIVE_LABELS,
  OBJECTIVE_NAMES,
  objectiveDefault,
  RUN_PARAM_FIELDS,
  type RunParamField,
} from './spec/objectives.ts';
export { formatSpecErrors, parseSpec, parseSpecJson } from './spec/parse.ts';
export { getAt, setAt } from './spec/paths.ts';
export { fieldAt, REMOVED_FIELDS, SPEC_FIELDS, SPEC_LIMITS, schemaPath } from './spec/schema.ts';
export type { Bound, FieldSchema } from './spec/schema-kit.ts';
export {
  type AnnotatorSpec,
  BACKENDS,
  type BackendChoice,
  BUNDLED_MODELS,
  type BundledModelId,
  DATA_FORMATS,
  DATA_SOURCES,
  type DataEdits,
  type DataFormat,
  type DataOrigin,
  type DataSpec,
  EVAL_BASELINES,
  EVAL_SPLITS,
  type EvalBaseline,
  type EvalSpec,
  type EvalSplit,
  type ExperimentSpec,
  type InlineRow,
  JUDGE_KINDS,
  type JudgeKind,
  LORA_MODULES,
  type LoraModule,
  type LoraSpec,
  MODEL_SOURCES,
  type ModelSpec,
  type Objective,
  type OptimizerSpec,
  PAIRING_PROTOCOLS,
  type PairingProtocol,
  type PairingSpec,
  type PairSet,
  type PartialSpec,
  type RunSpec,
  SCHEDULES,
  type ScheduleKind,
  type ScheduleSpec,
  type SftSpec,
  SPEC_VERSION,
  type SpecError,
  type SpecResult,
  TASKS,
  type TaskId,
} from './spec/types.ts';
export { validateSpec } from './spec/validate.ts';
