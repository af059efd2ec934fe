/**
 * Honest tuning (issue 12, item 5): the task's held-out instructions are cut into validation and
 * test, which never overlap; version-2 specs report on test; the default training length cites the
 * validation run it was checked with (bench/results/science-validation.json, made by
 * `npm run bench:science -- --split validation`), and that run used the default's settings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applesEvalItems } from '../../src/lab/pipeline/task-data.ts';
import { fieldAt } from '../../src/lab/spec/schema.ts';
import { DEFAULT_SPEC } from '../../src/lab/spec.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('validation and test splits', () => {
  it('never overlap, and together are the held-out list version-1 specs evaluate', () => {
    const validation = applesEvalItems(10_000, 'validation');
    const test = applesEvalItems(10_000, 'test');
    expect(validation.length).toBeGreaterThan(0);
    expect(test.length).toBeGreaterThan(0);
    const seen = new Set(validation.map((x) => x.instruction));
    expect(test.filter((x) => seen.has(x.instruction))).toEqual([]);
    expect([...validation, ...test]).toEqual(applesEvalItems(10_000, 'held-out'));
    expect(DEFAULT_SPEC.eval.split).toBe('test');
  });

  it('the default training length cites the validation numbers it was checked with', () => {
    const bench = JSON.parse(readFileSync(join(ROOT, 'bench/results/science-validation.json'), 'utf8'));
    expect(bench.split).toBe('validation');
    expect(bench.spec.epochs).toBe(DEFAULT_SPEC.epochs);
    expect(bench.spec.data.pairing).toEqual(DEFAULT_SPEC.data.pairing);
    expect(bench.spec.optimizer).toEqual(DEFAULT_SPEC.optimizer);
    const help = fieldAt('epochs')?.help ?? '';
    expect(help).toContain('validation');
    for (const run of bench.report.runs as { label: string; winRate: number }[]) {
      expect(help).toContain(`${run.label} ${(100 * run.winRate).toFixed(1)}%`);
    }
    expect(help).toContain(`${bench.report.seeds.length} seeds × ${bench.nItems} validation items`);
  });
});
