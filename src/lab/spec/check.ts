/**
 * The checker behind `validateSpec`: collects one error per path, each naming what is wrong, the
 * value found and how to fix it ("did you mean" for near-miss names). It knows no spec fields; the
 * field table (./fields-*.ts) says what to check where.
 */
import type { SpecError } from './types.ts';

/** A numeric bound: [min, max] with optional exclusive ends; `int` asks for whole numbers. */
export interface Bound {
  min: number;
  max: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  int?: boolean;
}

/** Keys that could reach an object's prototype when merged; never valid anywhere in a spec. */
export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Collects errors; each check returns the value when valid, else null. */
export class Checker {
  readonly errors: SpecError[] = [];

  /** Keeps the first problem per path: a missing field is not also reported as "not a number". */
  fail(path: string, message: string): void {
    if (!this.failed(path)) this.errors.push({ path, message });
  }

  failed(path: string): boolean {
    return this.errors.some((e) => e.path === path);
  }

  /** True when `path` or anything under it has an error (cross-field rules then stay quiet). */
  failedWithin(path: string): boolean {
    return this.errors.some((e) => e.path === path || e.path.startsWith(`${path}.`) || e.path.startsWith(`${path}[`));
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
    const quoted =
      typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? '; remove the quotes' : '';
    this.fail(path, `must be ${what} ${rangeText(bound)} (got ${show(value)})${quoted}${hint ? `; ${hint}` : ''}`);
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

  array(value: unknown, path: string, min: number, max: number, hint?: string): value is unknown[] {
    if (Array.isArray(value) && value.length >= min && value.length <= max) return true;
    const got = Array.isArray(value) ? `${value.length} items` : show(value);
    this.fail(path, `must be a list of ${min} to ${max} items (got ${got})${hint ? `; ${hint}` : ''}`);
    return false;
  }

  /** Unknown keys of an object: a "did you mean", or the variant a key belongs to. */
  unknownKeys(
    value: Record<string, unknown>,
    path: string,
    fields: readonly string[],
    otherVariant: (key: string) => string | undefined,
    removed: (key: string) => string | undefined,
  ): void {
    for (const key of Object.keys(value)) {
      if (fields.includes(key)) continue;
      const owner = otherVariant(key);
      const message = owner
        ? `belongs to ${path}.source "${owner}", not "${String(value.source)}"; remove it or set ${path}.source to "${owner}"`
        : (removed(key) ?? unknownFieldMessage(key, fields));
      this.fail(joinPath(path, key), message);
    }
  }
}

/** "≥ 0 and < 0.5" */
export function rangeText(bound: Bound): string {
  return `${bound.minExclusive ? '>' : '≥'} ${bound.min} and ${bound.maxExclusive ? '<' : '≤'} ${bound.max}`;
}

function unknownFieldMessage(key: string, fields: readonly string[]): string {
  if ((FORBIDDEN_KEYS as readonly string[]).includes(key)) return `"${key}" is a forbidden field name; remove it`;
  const guess = closest(key, fields);
  return guess
    ? `is not a field here; did you mean "${guess}"?`
    : `is not a field here (fields: ${fields.join(', ')}); remove it`;
}

/** The allowed word nearest to `word` (case-insensitive edit distance ≤ 2, or ≤ 1/3 of its length). */
export function closest(word: string, allowed: readonly string[]): string | null {
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

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** A value as an error message shows it: short, and never the whole of a long text. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  // Only the lab's form makes NaN (text typed in a number field); JSON cannot hold it.
  if (typeof v === 'number' && Number.isNaN(v)) return 'text that is not a number';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

/** A value as JSON, clipped: for defaults in messages and diffs. */
export function showValue(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function fail(path: string, message: string): { ok: false; errors: SpecError[] } {
  return { ok: false, errors: [{ path, message }] };
}
