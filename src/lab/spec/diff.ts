/** `specDiff`: the leaf paths where two specs (or two runs, or any JSON values) differ. */
import { isPlainObject, joinPath, showValue } from './check.ts';

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
