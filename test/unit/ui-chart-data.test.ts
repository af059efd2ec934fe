import { describe, expect, it } from 'vitest';
import { METRIC_KEYS, type MetricRow } from '../../src/state/metric-rows.ts';
import { buildChartRows, lastValue, seriesKey } from '../../src/ui/lib/chart-data.ts';

function rows(n: number, f: (step: number) => number, from = 1): MetricRow[] {
  return Array.from({ length: n }, (_, i) => {
    const step = from + i;
    const row = { step } as MetricRow;
    for (const k of METRIC_KEYS) row[k] = f(step);
    return row;
  });
}

describe('buildChartRows', () => {
  it('merges runs by step, keeping each run’s values in its own column', () => {
    const out = buildChartRows({ DPO: rows(3, (s) => s), JPO: rows(2, (s) => 10 * s, 2) }, ['loss'], 0);
    expect(out).toEqual([
      { step: 1, [seriesKey('DPO', 'loss')]: 1 },
      { step: 2, [seriesKey('DPO', 'loss')]: 2, [seriesKey('JPO', 'loss')]: 20 },
      { step: 3, [seriesKey('DPO', 'loss')]: 3, [seriesKey('JPO', 'loss')]: 30 },
    ]);
  });

  it('adds the raw line when smoothing, and smooths over every point before downsampling', () => {
    const series = { DPO: rows(10_000, (s) => (s % 2 === 0 ? 1 : 0)) };
    const out = buildChartRows(series, ['loss'], 0.9, 200);
    expect(out.length).toBeLessThanOrEqual(400);
    const smooth = out.map((r) => r[seriesKey('DPO', 'loss')]).filter((v) => v !== undefined) as number[];
    const raw = out.map((r) => r[seriesKey('DPO', 'loss', true)]).filter((v) => v !== undefined) as number[];
    // An alternating 0/1 series smooths to about 0.5 (EMA over all points), while its raw envelope keeps 0 and 1.
    expect(Math.max(...smooth.slice(10))).toBeLessThan(0.6);
    expect(Math.min(...smooth.slice(10))).toBeGreaterThan(0.4);
    expect(new Set(raw)).toEqual(new Set([0, 1]));
  });

  it('leaves out NaN (an objective without rewards) instead of drawing zeros', () => {
    const out = buildChartRows({ SFT: rows(3, () => Number.NaN) }, ['rewards/margins'], 0);
    expect(out).toEqual([]);
    expect(
      lastValue(
        rows(3, (s) => (s === 3 ? Number.NaN : s)),
        'loss',
      ),
    ).toEqual({ step: 2, value: 2 });
  });
});
