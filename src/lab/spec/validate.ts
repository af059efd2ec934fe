/**
 * `validateSpec`: the strict check of a complete spec, driven by the field table. Unknown fields
 * are errors (they are typos: "did you mean"), missing ones name their default, every problem is
 * reported at once, and a valid spec comes back as a canonical deep copy (fields in table order),
 * so equal specs serialise, and share, identically.
 */
import { Checker, isPlainObject, joinPath, show, showValue } from './check.ts';
import { DEFAULT_SPEC } from './defaults.ts';
import { migrateSpec } from './migrate.ts';
import { ROW_FIELDS } from './row-checks.ts';
import { CROSS_FIELD_RULES } from './rules.ts';
import { childrenOf, keyOf, REMOVED_FIELDS } from './schema.ts';
import type { FieldSchema } from './schema-kit.ts';
import type { ExperimentSpec, SpecResult } from './types.ts';

/** Strict check of a complete spec; returns a deep copy on success, every problem found otherwise. */
export function validateSpec(input: unknown): SpecResult {
  const migrated = migrateSpec(input);
  if (!migrated.ok) return migrated;
  const c = new Checker();
  const s = migrated.spec;
  checkObject(c, s, '', '', null);
  for (const rule of CROSS_FIELD_RULES) rule.check(s, c);
  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return { ok: true, spec: canonical(s, '') as ExperimentSpec };
}

/**
 * The fields of the object at `path` (table path `table`): unknown keys, missing fields, then each
 * field's own check. `owner` is the container's entry (null for the spec itself).
 */
function checkObject(c: Checker, value: unknown, path: string, table: string, owner: FieldSchema | null): void {
  let fields = childrenOf(table);
  let variantOf: (key: string) => string | undefined = () => undefined;
  if (owner?.type === 'variant') {
    if (!isPlainObject(value)) {
      c.fail(path, `must be an object with a "source" field (got ${show(value)})`);
      return;
    }
    const sourceField = fields.find((f) => keyOf(f.path) === 'source');
    const source = c.oneOf(value.source, joinPath(path, 'source'), sourceField?.choices ?? []);
    if (!source) return;
    const applies = (f: FieldSchema) => !f.when || f.when.includes(source);
    const all = fields;
    variantOf = (key) => all.find((f) => keyOf(f.path) === key && !applies(f))?.when?.[0];
    fields = all.filter(applies);
  }
  const keys = fields.map((f) => keyOf(f.path));
  if (!isPlainObject(value)) {
    const hint = owner?.fix ? `; ${owner.fix}` : '';
    c.fail(path, `must be an object with fields ${keys.join(', ')} (got ${show(value)})${hint}`);
    return;
  }
  c.unknownKeys(value, path, keys, variantOf, (key) => (path === '' ? REMOVED_FIELDS[key] : undefined));
  for (const f of fields) {
    const key = keyOf(f.path);
    const where = joinPath(path, key);
    if (value[key] === undefined) {
      if (!f.optional) c.fail(where, `is missing; add it${defaultNote(f, where)}`);
      continue;
    }
    checkField(c, value[key], where, f);
  }
}

function checkField(c: Checker, v: unknown, path: string, f: FieldSchema): void {
  if (v === null && f.nullable) return;
  const hint = f.fix ?? f.help;
  const [min, max] = f.length ?? [0, 0];
  switch (f.type) {
    case 'int':
    case 'number':
      if (f.bound) c.number(v, path, f.bound, hint);
      break;
    case 'enum':
      c.oneOf(v, path, f.choices ?? [], hint);
      break;
    case 'bool':
      c.boolean(v, path, hint);
      break;
    case 'text':
      if (f.length && c.string(v, path, min, max, hint) === null) return;
      break;
    case 'object':
    case 'variant':
      checkObject(c, v, path, f.path, f);
      break;
    case 'list':
      if (c.array(v, path, min, max, hint)) {
        for (const [i, item] of v.entries()) checkObject(c, item, `${path}[${i}]`, f.path, null);
      }
      break;
    case 'set':
      if (c.array(v, path, min, max, hint)) {
        const seen = new Set<unknown>();
        v.forEach((item, i) => {
          c.oneOf(item, `${path}[${i}]`, f.choices ?? []);
          if (seen.has(item)) c.fail(`${path}[${i}]`, `lists ${show(item)} twice; remove the duplicate`);
          seen.add(item);
        });
      }
      break;
    case 'rows':
      break;
  }
  if (!c.failed(path)) f.check?.(v, path, c);
}

/** " (default: 0)" for a missing field: its own default, or the default spec's value there. */
function defaultNote(f: FieldSchema, where: string): string {
  let value = f.default;
  if (value === undefined && !where.includes('[')) {
    value = where.split('.').reduce<unknown>((node, k) => (isPlainObject(node) ? node[k] : undefined), DEFAULT_SPEC);
  }
  return value === undefined ? '' : ` (default: ${showValue(value)})`;
}

/** Row objects that have a fixed field order even though the table has no entries for their fields. */
const ROW_ORDER: Record<string, readonly string[]> = { 'data.edits.add': ROW_FIELDS };

/** A deep copy with fields in table order; objects the table does not describe keep their order. */
function canonical(value: unknown, table: string): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, table));
  if (!isPlainObject(value)) return value;
  const order = ROW_ORDER[table] ?? [...new Set(childrenOf(table).map((f) => keyOf(f.path)))];
  const keys = [
    ...order.filter((k) => Object.hasOwn(value, k)),
    ...Object.keys(value).filter((k) => !order.includes(k)),
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = canonical(value[k], table in ROW_ORDER ? '' : joinPath(table, k));
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
