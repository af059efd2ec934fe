import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC, type ExperimentSpec } from '../../src/lab/spec.ts';
import { estimateRun, type PastRun, REFERENCE_RUN_MS, totalLeftMs, workOf } from '../../src/ui/lib/estimate.ts';
import { dpoVsJpo } from '../../src/ui/lib/presets.ts';

const compare = dpoVsJpo(DEFAULT_SPEC as ExperimentSpec);

function past(over: Partial<PastRun>): PastRun {
  return { spec: compare, backend: 'cpu', status: 'done', elapsedMs: 12_000, createdAt: 1, ...over };
}

describe('estimateRun', () => {
  it('with no past run, scales the README measure of the default comparison on a CPU', () => {
    const e = estimateRun(compare, 'cpu', []);
    expect(e.totalMs).toBe(REFERENCE_RUN_MS);
    expect(e.basis).toBe('a rough estimate for a CPU');
  });

  it('repeats the newest comparable run for the same spec', () => {
    const runs = [past({ elapsedMs: 9_000, createdAt: 1 }), past({ elapsedMs: 12_000, createdAt: 5 })];
    const e = estimateRun(compare, 'cpu', runs);
    expect(e.totalMs).toBe(12_000);
    expect(e.basis).toBe('from your last run on this CPU');
  });

  it('ignores runs on another backend, with another model, or that did not finish', () => {
    const other = structuredClone(compare);
    other.model = { source: 'hub', repo: 'HuggingFaceTB/SmolLM2-135M', revision: 'main' } as ExperimentSpec['model'];
    const runs = [
      past({ backend: 'webgpu', elapsedMs: 1 }),
      past({ spec: other, elapsedMs: 2 }),
      past({ status: 'failed', elapsedMs: 3 }),
      past({ status: 'done', elapsedMs: 0 }),
    ];
    expect(estimateRun(compare, 'cpu', runs).totalMs).toBe(REFERENCE_RUN_MS);
  });

  it('scales by the work of each spec: twice the runs, about twice the training', () => {
    const four = structuredClone(compare);
    four.runs = [...compare.runs, ...compare.runs.map((r) => ({ ...r, label: `${r.label} again` }))];
    const e = estimateRun(four, 'cpu', [past({ elapsedMs: 10_000 })]);
    expect(e.totalMs).toBeCloseTo((10_000 * workOf(four)) / workOf(compare), 6);
    expect(e.totalMs).toBeGreaterThan(15_000);
    expect(e.totalMs).toBeLessThan(20_000);
  });
});

describe('totalLeftMs', () => {
  it('is the estimate less the time spent, never below the stage in progress or zero', () => {
    expect(totalLeftMs(30_000, 10_000, null)).toBe(20_000);
    expect(totalLeftMs(30_000, 10_000, 25_000)).toBe(25_000);
    expect(totalLeftMs(30_000, 40_000, null)).toBe(0);
  });
});
