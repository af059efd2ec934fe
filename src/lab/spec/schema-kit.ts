/**
 * The shape of one entry of the spec's field table, and small constructors that keep the table
 * (./fields-*.ts) to a line or three per field. Everything about a field lives in its entry: path,
 * type, bounds, default, form label, help text, and which variant or objectives it belongs to.
 */
import type { ObjectiveName } from '../../engine/index.ts';
import type { Bound, Checker } from './check.ts';

export type { Bound };

/**
 * What a derived default may depend on: the spec filled so far (fields earlier in the table), the
 * spec as given, and inside a list the item as given, its index and its siblings (earlier ones
 * filled, later ones as given).
 */
export interface DefaultContext {
  root: Record<string, unknown>;
  given: Record<string, unknown>;
  item?: Record<string, unknown>;
  index?: number;
  siblings?: readonly unknown[];
}

export type FieldType =
  | 'int'
  | 'number'
  | 'enum'
  | 'bool'
  | 'text'
  /** A plain object whose fields are the entries below it. */
  | 'object'
  /** An object whose `source` field picks which entries below it apply (`when`). */
  | 'variant'
  /** A list of objects whose fields are the entries `path[].x`. */
  | 'list'
  /** A list of distinct choices (lora.targetModules). */
  | 'set'
  /** Rows of data checked by the entry's own `check` (inline rows, added comparisons, indices). */
  | 'rows';

/** Checks a field's value beyond its type (after the type check passed, or instead of it for 'rows'). */
export type ExtraCheck = (value: unknown, path: string, c: Checker) => void;

export interface FieldSchema<P extends string = string> {
  /** 'eval.temperature'; items of a list are written 'runs[].beta'. */
  path: P;
  type: FieldType;
  /** Numbers: the allowed range. */
  bound?: Bound;
  /** Enums and sets: the allowed values, and how the form names them. */
  choices?: readonly string[];
  choiceLabels?: Readonly<Record<string, string>>;
  /** Text: [min, max] characters (absent: `check` alone decides). Lists, sets, rows: items. */
  length?: readonly [number, number];
  /** null is allowed (and means what `help` says). */
  nullable?: boolean;
  /** May be left out. Per-objective fields are optional: left out, the objective's default applies. */
  optional?: boolean;
  /** Only in these variants of the enclosing `variant` object (e.g. model.source "hub"). */
  when?: readonly string[];
  /** A value, or a function of the spec filled so far. Absent: no default (the user must give it). */
  default?: unknown;
  derive?: (ctx: DefaultContext) => unknown;
  /** How the default reads in the docs when it is derived ("the objective's own", ...). */
  defaultText?: string;
  /** Per-objective fields: the engine parameter whose per-objective default applies when unset. */
  objectiveDefault?: 'beta' | 'labelSmoothing' | 'simpoGamma' | 'orpoLambda';
  /** The objectives that use this field (the form shows it only for them). */
  usedBy?: readonly ObjectiveName[];
  /** The form's label (short; browser tests and screen readers rely on it). */
  label: string;
  /** How a change of this field reads in the saved-runs table ("lr 5e-4 → 5e-5"); default: its key. */
  short?: string;
  /** One line: what the field means. Shown under the field and in docs/spec.md. */
  help: string;
  /** What a validation error adds after "must be …" when it differs from `help` (how to fix it). */
  fix?: string;
  /** The docs' "allowed" column when the type alone does not say it. */
  allowedText?: string;
  check?: ExtraCheck;
  /** Shown in docs/spec.md (containers that are plain objects are not). */
  documented?: boolean;
}

type Extra = Omit<Partial<FieldSchema>, 'path' | 'type' | 'label' | 'help'>;

export const int = (min: number, max: number): Bound => ({ min, max, int: true });
/** [min, max] */
export const range = (min: number, max: number): Bound => ({ min, max });
/** (min, max] */
export const above = (min: number, max: number): Bound => ({ min, max, minExclusive: true });
/** [min, max) */
export const below = (min: number, max: number): Bound => ({ min, max, maxExclusive: true });

export const num = <P extends string>(
  path: P,
  bound: Bound,
  label: string,
  help: string,
  extra: Extra = {},
): FieldSchema<P> => ({
  path,
  type: bound.int ? 'int' : 'number',
  bound,
  label,
  help,
  ...extra,
});

export const choice = <P extends string>(
  path: P,
  choices: readonly string[],
  label: string,
  help: string,
  extra: Extra = {},
): FieldSchema<P> => ({ path, type: 'enum', choices, label, help, ...extra });

export const text = <P extends string>(
  path: P,
  length: readonly [number, number] | null,
  label: string,
  help: string,
  extra: Extra = {},
): FieldSchema<P> => ({ path, type: 'text', ...(length ? { length } : {}), label, help, ...extra });

export const flag = <P extends string>(path: P, label: string, help: string, extra: Extra = {}): FieldSchema<P> => ({
  path,
  type: 'bool',
  label,
  help,
  ...extra,
});

/** A container; plain objects are not listed in the docs, variants and lists are. */
export const group = <P extends string>(
  path: P,
  type: 'object' | 'variant' | 'list',
  label: string,
  help: string,
  extra: Extra = {},
): FieldSchema<P> => ({ path, type, label, help, documented: type === 'list' || extra.nullable === true, ...extra });

/** Limits that are not a single field's bound (text sizes, list lengths), shared by several fields. */
export const SIZE_LIMITS = {
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
