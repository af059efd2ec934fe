/**
 * `withDefaults` and `DEFAULT_SPEC`, both from the field table: every missing field takes its
 * entry's default. Some defaults follow other fields (the entries' `derive`): `model`/`data`
 * variants get their own fields, judges are "oracle" only for task data, a run's label and pairs
 * follow its objective, and giving `epochs` makes `steps` default to null. The per-objective run
 * fields (β, ε, γ, λ) stay unset: unset means the objective's own default (./objectives.ts).
 *
 * The defaults are a small classroom comparison, DPO vs JPO on the bundled tiny model and the
 * apples task, sized to finish in a few minutes on a CPU. The classroom sizes (steps, batch, lr,
 * data counts) were tuned on orchard-tiny: with lr 5e-4 both objectives beat the initial model on
 * every seed tried (win-rate 65-81%, seeds 1-4, 128 test items); lr 1e-3 gave 61-65%, and lr 2e-3
 * or 120 steps overfit and lost on some seeds (README, "Science"). Version 2's default model,
 * orchard-tiny-2, was made with the same architecture, tokenizer and split; the epochs default was
 * re-checked with it on the validation split (fields-training.ts). β, LoRA and template are the paper's.
 *
 * A share link stores the whole spec, not a diff against these defaults, so changing a default
 * never changes what an old link reproduces.
 */
import { isPlainObject } from './check.ts';
import { childrenOf, keyOf } from './schema.ts';
import type { DefaultContext, FieldSchema } from './schema-kit.ts';
import type { ExperimentSpec, PartialSpec, SftSpec } from './types.ts';

/**
 * Fills every missing field. Fields that are present are kept as given, even when wrong or unknown,
 * so `validateSpec` can report them (a typo must not be dropped silently).
 */
export function withDefaults(partial: PartialSpec = {}): ExperimentSpec {
  const given = partial as unknown;
  if (!isPlainObject(given)) return given as ExperimentSpec; // validation reports it
  const root: Record<string, unknown> = {};
  fillObject(given, '', root, { root, given });
  return root as unknown as ExperimentSpec;
}

/** Fills `out` with the fields of the object at table path `table`, given `given`. */
function fillObject(
  given: Record<string, unknown>,
  table: string,
  out: Record<string, unknown>,
  ctx: DefaultContext,
): void {
  let fields = childrenOf(table);
  const sourceField = fields.find((f) => keyOf(f.path) === 'source' && f.type === 'enum');
  if (sourceField && table !== '') {
    // A variant: its `source` (given or default) picks the fields that apply.
    const source = given.source ?? sourceField.default;
    fields = fields.filter((f) => !f.when || f.when.includes(source as string));
  }
  const handled = new Set<string>();
  for (const f of fields) {
    const key = keyOf(f.path);
    handled.add(key);
    const value = given[key] !== undefined ? given[key] : defaultOf(f, ctx);
    if (value === undefined) continue;
    if ((f.type === 'object' || f.type === 'variant') && isPlainObject(value)) {
      const child: Record<string, unknown> = {};
      define(out, key, child); // before filling, so derived defaults inside can see what is filled
      fillObject(value, f.path, child, ctx);
    } else if (f.type === 'list' && Array.isArray(value)) {
      const items: unknown[] = value.map(copy);
      define(out, key, items);
      items.forEach((item, index) => {
        if (!isPlainObject(item)) return;
        const filled: Record<string, unknown> = {};
        fillObject(item, f.path, filled, { ...ctx, item, index, siblings: items });
        items[index] = filled;
      });
    } else {
      define(out, key, copy(value));
    }
  }
  // Unknown fields stay, for validation to report.
  for (const key of Object.keys(given)) if (!handled.has(key)) define(out, key, copy(given[key]));
}

/** A missing field's default; plain objects without one are filled from their fields' defaults. */
function defaultOf(f: FieldSchema, ctx: DefaultContext): unknown {
  if (f.optional) return undefined;
  if (f.derive) return f.derive(ctx);
  if (f.default !== undefined) return f.default;
  return f.type === 'object' || f.type === 'variant' ? {} : undefined;
}

/** Own properties are defined, never assigned: a "__proto__" key stays a visible (invalid) field. */
function define(out: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of JSON-like data that keeps odd keys as own properties. */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) define(out, k, copy(v[k]));
  return out;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/** Frozen: callers edit a copy (`withDefaults()` or structuredClone), never the defaults. */
export const DEFAULT_SPEC: ExperimentSpec = deepFreeze(withDefaults({}));

/** What "supervised fine-tuning first" turns on. */
export const DEFAULT_SFT: SftSpec = deepFreeze(withDefaults({ sft: {} }).sft as SftSpec);
