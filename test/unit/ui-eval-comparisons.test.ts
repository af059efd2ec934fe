import { describe, expect, it } from 'vitest';
import type { EvalItemOutcome } from '../../src/lab/events.ts';
import { DEFAULT_SPEC, type ExperimentSpec } from '../../src/lab/spec.ts';
import { runComparisons, runComparisonsOverSeeds } from '../../src/ui/lib/eval-comparisons.ts';
import { dpoVsJpo } from '../../src/ui/lib/presets.ts';

const spec = dpoVsJpo(DEFAULT_SPEC as ExperimentSpec);

function items(outcomes: string, prefix = 'q'): EvalItemOutcome[] {
  const name = { w: 'win', t: 'tie', l: 'loss' } as const;
  return [...outcomes].map((c, i) => ({
    instruction: `${prefix}${i}`,
    answer: 'a',
    baseline: 'b',
    outcome: name[c as 'w' | 't' | 'l'],
  }));
}

describe('runComparisons', () => {
  it('reports JPO − DPO with the mean difference of the paired outcomes', () => {
    const [c] = runComparisons(spec, { DPO: items('wtllwt'), JPO: items('wwtlww') });
    expect([c.a, c.b]).toEqual(['DPO', 'JPO']);
    // By hand: DPO 1+.5+0+0+1+.5 = 3, JPO 1+1+.5+0+1+1 = 4.5, over 6 items.
    expect(c.difference).toBeCloseTo((4.5 - 3) / 6, 12);
    expect(c.nItems).toBe(6);
    expect(c.ci95[0]).toBeLessThanOrEqual(c.difference);
    expect(c.ci95[1]).toBeGreaterThanOrEqual(c.difference);
  });

  it('puts JPO second even when the spec lists it first', () => {
    const swapped = { ...spec, runs: [spec.runs[1], spec.runs[0]] };
    const [c] = runComparisons(swapped, { DPO: items('llll'), JPO: items('wwww') });
    expect([c.a, c.b, c.difference]).toEqual(['DPO', 'JPO', 1]);
    expect(c.ci95).toEqual([1, 1]);
    expect(c.intervalContainsZero).toBe(false);
  });

  it('says the interval contains 0 when the runs do equally well', () => {
    const [c] = runComparisons(spec, { DPO: items('wlwl'), JPO: items('wlwl') });
    expect(c.difference).toBe(0);
    expect(c.intervalContainsZero).toBe(true);
  });

  it('compares nothing when a run is not evaluated or the items differ', () => {
    expect(runComparisons(spec, { DPO: items('wl') })).toEqual([]);
    expect(runComparisons(spec, { DPO: items('wl'), JPO: items('wl', 'other') })).toEqual([]);
  });
});

describe('runComparisonsOverSeeds (the lab\'s "repeat over N seeds")', () => {
  it('gives each seed its own JPO − DPO and pools the paired outcomes of every seed', () => {
    const seeds = [
      { DPO: items('wtll'), JPO: items('wwtl') },
      { DPO: items('wwwl'), JPO: items('wwll') },
    ];
    const [c] = runComparisonsOverSeeds(spec, seeds);
    expect([c.a, c.b, c.nSeeds, c.nItems]).toEqual(['DPO', 'JPO', 2, 4]);
    // By hand: seed 1 DPO 1.5, JPO 2.5 of 4; seed 2 DPO 3, JPO 2 of 4.
    expect(c.perSeed[0]).toBeCloseTo(1 / 4, 12);
    expect(c.perSeed[1]).toBeCloseTo(-1 / 4, 12);
    expect(c.difference).toBeCloseTo(0, 12);
    expect(c.intervalContainsZero).toBe(true);
    // One seed pooled is the single-run comparison.
    expect(runComparisonsOverSeeds(spec, [seeds[0]])).toEqual(runComparisons(spec, seeds[0]));
  });

  it('compares nothing when a seed did not evaluate a run', () => {
    expect(runComparisonsOverSeeds(spec, [{ DPO: items('wl'), JPO: items('lw') }, { DPO: items('wl') }])).toEqual([]);
    expect(runComparisonsOverSeeds(spec, [])).toEqual([]);
  });
});
