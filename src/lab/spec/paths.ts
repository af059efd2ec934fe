/**
 * Reading and writing a spec field by its path ('eval.temperature', 'runs[1].beta'): how the form
 * binds a control to the schema. Writing `undefined` removes the field (an optional field then
 * takes its default again).
 */
import { isPlainObject } from './check.ts';

function segments(path: string): string[] {
  return path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
}

export function getAt(spec: unknown, path: string): unknown {
  let node = spec;
  for (const key of segments(path)) {
    if (Array.isArray(node)) node = node[Number(key)];
    else node = isPlainObject(node) ? node[key] : undefined;
  }
  return node;
}

/** Sets the field at `path` in place; the objects on the way must exist (the form edits a draft). */
export function setAt(spec: unknown, path: string, value: unknown): void {
  const keys = segments(path);
  const parent = getAt(spec, keys.slice(0, -1).join('.')) as Record<string, unknown> | unknown[] | undefined;
  const last = keys[keys.length - 1];
  if (typeof parent !== 'object' || parent === null) throw new Error(`spec path ${path}: nothing at its parent`);
  if (value === undefined) delete (parent as Record<string, unknown>)[last];
  else (parent as Record<string, unknown>)[last] = value;
}
