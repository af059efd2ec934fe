/**
 * Checks for the spec fields that hold data rather than settings: inline data rows, added
 * comparisons and removed pair indices. Used by the field table's `check` entries.
 */
import { type Checker, FORBIDDEN_KEYS, isPlainObject, show } from './check.ts';
import { SIZE_LIMITS } from './schema-kit.ts';

export const ROW_FIELDS = ['i_chosen', 'r_chosen', 'i_reject', 'r_reject'] as const;

/** data.rows: flat objects of field names to text, numbers, booleans or null. */
export function checkInlineRows(rows: unknown, path: string, c: Checker): void {
  if (!c.array(rows, path, 1, SIZE_LIMITS.inlineRows)) return;
  rows.forEach((row, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(row)) {
      c.fail(at, `must be an object of field names to text (got ${show(row)})`);
      return;
    }
    const keys = Object.keys(row);
    if (keys.length === 0 || keys.length > SIZE_LIMITS.inlineFields) {
      c.fail(at, `must have 1 to ${SIZE_LIMITS.inlineFields} fields (got ${keys.length})`);
    }
    for (const k of keys) {
      const v = row[k];
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k) || (FORBIDDEN_KEYS as readonly string[]).includes(k)) {
        c.fail(`${at}.${k}`, `is not an allowed field name; use letters, digits and "_" (e.g. "i_chosen")`);
      } else if (typeof v === 'string') {
        if (v.length > SIZE_LIMITS.textLength)
          c.fail(`${at}.${k}`, `is ${v.length} characters; at most ${SIZE_LIMITS.textLength}`);
      } else if (!(v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
        c.fail(`${at}.${k}`, `must be text, a number, true/false or null (got ${show(v)})`);
      }
    }
  });
}

/** data.edits.add: comparisons in the paper's format. */
export function checkAddedRows(rows: unknown, path: string, c: Checker): void {
  if (!c.array(rows, path, 0, SIZE_LIMITS.editsAdd)) return;
  rows.forEach((row, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(row)) {
      c.fail(
        at,
        `must be an object with fields ${ROW_FIELDS.join(', ')} (got ${show(row)}); a comparison in the paper format`,
      );
      return;
    }
    c.unknownKeys(
      row,
      at,
      ROW_FIELDS,
      () => undefined,
      () => undefined,
    );
    for (const f of ROW_FIELDS) {
      if (row[f] === undefined) c.fail(`${at}.${f}`, 'is missing; add it');
      else c.string(row[f], `${at}.${f}`, 1, SIZE_LIMITS.textLength);
    }
  });
}

/** data.edits.remove: distinct indices into the labelled pair list. */
export function checkRemovedIndices(indices: unknown, path: string, c: Checker): void {
  if (!c.array(indices, path, 0, SIZE_LIMITS.editsRemove)) return;
  const seen = new Set<unknown>();
  indices.forEach((idx, i) => {
    c.number(idx, `${path}[${i}]`, { min: 0, max: 999_999, int: true }, 'indices into the labelled pair list');
    if (seen.has(idx)) c.fail(`${path}[${i}]`, `lists row ${show(idx)} twice; remove the duplicate`);
    seen.add(idx);
  });
}
