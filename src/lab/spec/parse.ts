/**
 * Reading spec files: `parseSpec` / `parseSpecJson` migrate, fill defaults and validate hand-written
 * partial files (the CLI's `--spec FILE`, the lab's "Open spec file").
 */
import { fail } from './check.ts';
import { withDefaults } from './defaults.ts';
import { migrateSpec } from './migrate.ts';
import type { SpecError, SpecResult } from './types.ts';
import { validateSpec } from './validate.ts';

/** Migrate, fill defaults, validate: for hand-written files that give only some fields. */
export function parseSpec(input: unknown): SpecResult {
  const migrated = migrateSpec(input);
  if (!migrated.ok) return migrated;
  return validateSpec(withDefaults(migrated.spec as never));
}

/** `parseSpec` of a spec file's text; a JSON syntax error becomes a SpecError too. */
export function parseSpecJson(text: string): SpecResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail('', `the spec is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseSpec(value);
}

export function formatSpecErrors(errors: SpecError[]): string {
  return errors.map((e) => `${e.path || '(spec)'}: ${e.message}`).join('\n');
}
