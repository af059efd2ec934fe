/**
 * Turns per-run metric rows into what one recharts chart draws: one row per step, with a column
 * per (run, metric) for the smoothed line and one for the raw line (drawn faintly behind it, as
 * TensorBoard does). Each series is smoothed on every point first, then downsampled for drawing,
 * so smoothing never depends on how many points are shown.
 */
import type { MetricKey, MetricRow } from '../../state/metric-rows.ts';
import { downsampleMinMax } from './downsample.ts';
import { emaSmooth } from './smoothing.ts';

/** Points drawn per line; enough for a crisp 600-pixel-wide chart. */
export const MAX_POINTS_PER_LINE = 600;

export type ChartRow = { step: number } & Record<string, number | undefined>;

export function seriesKey(run: string, metric: MetricKey, raw = false): string {
  return `${run}\u0001${metric}${raw ? '\u0001raw' : ''}`;
}

export function buildChartRows(
  series: Record<string, readonly MetricRow[]>,
  metrics: readonly MetricKey[],
  smoothing: number,
  maxPoints = MAX_POINTS_PER_LINE,
): ChartRow[] {
  const byStep = new Map<number, ChartRow>();
  const put = (step: number, key: string, value: number) => {
    let row = byStep.get(step);
    if (!row) {
      row = { step };
      byStep.set(step, row);
    }
    row[key] = value;
  };
  for (const [run, rows] of Object.entries(series)) {
    for (const metric of metrics) {
      const raw = rows.map((r) => r[metric]);
      const smooth = emaSmooth(raw, smoothing);
      const points = rows.map((r, i) => ({ step: r.step, raw: raw[i], smooth: smooth[i] }));
      for (const p of downsampleMinMax(points, maxPoints, (q) => q.smooth)) {
        if (Number.isFinite(p.smooth)) put(p.step, seriesKey(run, metric), p.smooth);
      }
      if (smoothing > 0) {
        for (const p of downsampleMinMax(points, maxPoints, (q) => q.raw)) {
          if (Number.isFinite(p.raw)) put(p.step, seriesKey(run, metric, true), p.raw);
        }
      }
    }
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** The last finite value of a metric for a run (for the chart's text summary). */
export function lastValue(rows: readonly MetricRow[], metric: MetricKey): { step: number; value: number } | null {
  for (let i = rows.length - 1; i >= 0; i--) {
    if (Number.isFinite(rows[i][metric])) return { step: rows[i].step, value: rows[i][metric] };
  }
  return null;
}
