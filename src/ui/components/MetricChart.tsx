/**
 * One chart: a metric (or a chosen/rejected pair of metrics) for every run, smoothed, with the raw
 * curve faint behind it, and a text summary for screen readers. Downsampled for drawing.
 */
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricKey, MetricRow } from '../../state/metric-rows.ts';
import { buildChartRows, lastValue, seriesKey } from '../lib/chart-data.ts';

export interface ChartDef {
  id: string;
  title: string;
  metrics: readonly MetricKey[];
  /** Names of the metrics in a two-metric chart ('chosen', 'rejected'); the second is dashed. */
  metricNames?: readonly string[];
  explain: React.ReactNode;
  /** A horizontal guide line, e.g. log 2 for the loss. */
  guide?: { y: number; label: string };
  format?: (v: number) => string;
  /** false for curves that are not noisy measurements (the learning-rate schedule). */
  smooth?: boolean;
}

interface Props {
  def: ChartDef;
  series: Record<string, MetricRow[]>;
  revision: number;
  colors: Map<string, string>;
  smoothing: number;
}

/** Axis and tooltip numbers: 0.693, 7.5e-4, 1.2e5. */
const defaultFormat = (v: number) => {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
  return Number(v.toPrecision(4)).toString();
};

export const MetricChart = memo(function MetricChart({ def, series, revision, colors, smoothing: requested }: Props) {
  const smoothing = def.smooth === false ? 0 : requested;
  // `revision` changes whenever new rows arrive; the series object itself is reused between batches.
  // biome-ignore lint/correctness/useExhaustiveDependencies: revision stands for the series' content
  const rows = useMemo(
    () => buildChartRows(series, def.metrics, smoothing),
    [series, revision, def.metrics, smoothing],
  );
  const runs = Object.keys(series);
  const fmt = def.format ?? defaultFormat;
  const counts = runs
    .map((r) => `${r}:${series[r].filter((row) => def.metrics.some((m) => Number.isFinite(row[m]))).length}`)
    .join(',');
  const summary = runs
    .flatMap((run) =>
      def.metrics.map((m, i) => {
        const last = lastValue(series[run], m);
        const name = def.metricNames ? `${run} ${def.metricNames[i]}` : run;
        return last ? `${name} ${fmt(last.value)} at step ${last.step}` : `${name}: no values yet`;
      }),
    )
    .join('; ');
  const labelOf = (key: string) => {
    const [run, metric] = key.split('\u0001');
    const i = def.metrics.indexOf(metric as MetricKey);
    return def.metricNames ? `${run} ${def.metricNames[i]}` : run;
  };
  return (
    <figure className="chart-card" data-testid={`chart-${def.id}`} data-points={counts}>
      <figcaption>
        <h3>{def.title}</h3>
        <div className="chart-explain">{def.explain}</div>
      </figcaption>
      <div className="chart-box" role="img" aria-label={`${def.title}: ${summary || 'no data yet'}`}>
        {rows.length === 0 ? (
          <div className="chart-empty muted">No points yet</div>
        ) : (
          <ResponsiveContainer width="100%" height={200}>
            <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
              <XAxis
                dataKey="step"
                type="number"
                domain={['dataMin', 'dataMax']}
                tick={{ fontSize: 11, fill: 'var(--muted)' }}
                stroke="var(--border)"
                allowDecimals={false}
              />
              <YAxis
                tick={{ fontSize: 11, fill: 'var(--muted)' }}
                stroke="var(--border)"
                width={52}
                tickFormatter={fmt}
                domain={['auto', 'auto']}
              />
              <Tooltip
                formatter={(v, key) => [typeof v === 'number' ? fmt(v) : String(v), labelOf(String(key))]}
                labelFormatter={(step) => `step ${step}`}
                contentStyle={{
                  background: 'var(--surface)',
                  border: '1px solid var(--border)',
                  borderRadius: 8,
                  fontSize: 12,
                }}
              />
              {def.guide && (
                <ReferenceLine
                  y={def.guide.y}
                  stroke="var(--muted)"
                  strokeDasharray="2 4"
                  label={{ value: def.guide.label, position: 'insideTopRight', fontSize: 10, fill: 'var(--muted)' }}
                />
              )}
              {smoothing > 0 &&
                runs.flatMap((run) =>
                  def.metrics.map((m, i) => (
                    <Line
                      key={seriesKey(run, m, true)}
                      dataKey={seriesKey(run, m, true)}
                      stroke={colors.get(run)}
                      strokeOpacity={0.22}
                      strokeDasharray={i === 1 ? '5 4' : undefined}
                      dot={false}
                      activeDot={false}
                      isAnimationActive={false}
                      connectNulls
                      legendType="none"
                      tooltipType="none"
                    />
                  )),
                )}
              {runs.flatMap((run) =>
                def.metrics.map((m, i) => (
                  <Line
                    key={seriesKey(run, m)}
                    dataKey={seriesKey(run, m)}
                    name={labelOf(seriesKey(run, m))}
                    stroke={colors.get(run)}
                    strokeWidth={2}
                    strokeDasharray={i === 1 ? '5 4' : undefined}
                    dot={rows.length <= 2}
                    isAnimationActive={false}
                    connectNulls
                  />
                )),
              )}
            </LineChart>
          </ResponsiveContainer>
        )}
      </div>
    </figure>
  );
});
