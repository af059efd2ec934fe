/**
 * Live charts of every metric, runs overlaid in their colors, with a smoothing slider (EMA, as in
 * TensorBoard) and a few sentences beside each chart that say what it means.
 */
import { useId, useMemo, useState } from 'react';
import { effectiveRunParams } from '../../lab/spec.ts';
import { isLiveStatus, useRunStore } from '../../state/run-store.ts';
import { runColors } from '../lib/run-colors.ts';
import { type ChartDef, MetricChart } from './MetricChart.tsx';

const CHARTS: ChartDef[] = [
  {
    id: 'loss',
    title: 'Loss',
    metrics: ['loss'],
    guide: { y: Math.LN2, label: 'log 2' },
    explain: (
      <>
        −log σ(margin). Every run starts at log 2 ≈ 0.693, where the policy still equals the reference and the margin is
        0; it falls as the model learns to prefer the chosen side. On shared prompts DPO and JPO give the same loss.
      </>
    ),
  },
  {
    id: 'margins',
    title: 'Reward margin',
    metrics: ['rewards/margins'],
    guide: { y: 0, label: '0' },
    explain: (
      <>
        <code>rewards/margins</code>: r<sub>chosen</sub> − r<sub>rejected</sub> with r = β·(log π<sub>θ</sub> − log π
        <sub>ref</sub>). For JPO the log-probabilities are joint, log π(x, y), so this is the{' '}
        <em>joint log-probability margin</em>. Above 0 means the model ranks the chosen side higher than the reference
        did.
      </>
    ),
  },
  {
    id: 'rewards',
    title: 'Chosen and rejected rewards',
    metrics: ['rewards/chosen', 'rewards/rejected'],
    metricNames: ['chosen', 'rejected'],
    guide: { y: 0, label: '0' },
    explain: (
      <>
        Solid: chosen, dashed: rejected. JPO’s rewards include the prompt: when the two sides have different
        instructions, JPO also raises the likelihood of the <em>chosen instruction</em>, not only of its answer. DPO
        masks the prompt, so its rewards cover the answer alone.
      </>
    ),
  },
  {
    id: 'accuracy',
    title: 'Reward accuracy',
    metrics: ['rewards/accuracies'],
    guide: { y: 0.5, label: 'chance' },
    format: (v) => `${Math.round(v * 100)}%`,
    explain: (
      <>
        Share of the batch’s pairs where the chosen reward beats the rejected one. 50% is chance. It can reach 100% long
        before the answers get better: it measures ranking, not quality.
      </>
    ),
  },
  {
    id: 'logps',
    title: 'Log-probabilities',
    metrics: ['logps/chosen', 'logps/rejected'],
    metricNames: ['chosen', 'rejected'],
    explain: (
      <>
        Summed log π of each side (solid: chosen, dashed: rejected). JPO’s are much lower because they also count the
        prompt’s tokens. Preference losses often push both down, the rejected side faster: only the gap is trained.
      </>
    ),
  },
  {
    id: 'grad-norm',
    title: 'Gradient norm',
    metrics: ['grad_norm'],
    explain: <>Size of the update before clipping. Spikes mean a hard batch or a learning rate that is too high.</>,
  },
  {
    id: 'lr',
    title: 'Learning rate',
    metrics: ['learning_rate'],
    smooth: false,
    explain: <>The schedule: a linear warm-up from 0, then decay (cosine by default, as in the paper).</>,
  },
  {
    id: 'throughput',
    title: 'Tokens per second',
    metrics: ['tokens_per_s'],
    format: (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0)),
    explain: <>Training throughput on this machine: policy forward and backward passes, per second of wall time.</>,
  },
];

export function MetricsPanel() {
  const session = useRunStore((s) => s.session);
  const [smoothing, setSmoothing] = useState(0.6);
  const sliderId = useId();
  const runs = session?.spec.runs;
  const colors = useMemo(() => runColors(runs ?? []), [runs]);
  if (!session) return null;
  const series = session.series;
  const stepsTaken = Object.values(series).some((rows) => rows.length > 0);
  if (!stepsTaken && !isLiveStatus(session.status)) {
    // A run that ended before its first step (a model that could not load, a stop during
    // sampling) has nothing to chart: say so instead of showing empty axes.
    return (
      <p className="muted empty" data-testid="metrics-none">
        No training step was taken in this run, so there are no curves to show.
      </p>
    );
  }
  return (
    <div className="metrics" data-testid="metrics">
      <div className="metrics-toolbar">
        <ul className="legend" aria-label="Runs">
          {session.spec.runs.map((r) => (
            <li key={r.label}>
              <span className="swatch" style={{ background: colors.get(r.label) }} aria-hidden="true" />
              {r.label}
              <span className="muted">
                {' '}
                ({r.objective}, β {effectiveRunParams(r).beta})
              </span>
            </li>
          ))}
        </ul>
        <div className="smoothing">
          <label htmlFor={sliderId}>Smoothing</label>
          <input
            id={sliderId}
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            onChange={(e) => setSmoothing(Number(e.target.value))}
            aria-describedby={`${sliderId}-help`}
          />
          <output htmlFor={sliderId} className="smoothing-value">
            {smoothing.toFixed(2)}
          </output>
          <span id={`${sliderId}-help`} className="visually-hidden">
            Exponential moving average weight; 0 shows the raw values.
          </span>
        </div>
      </div>
      <div className="chart-grid">
        {CHARTS.map((def) => (
          <MetricChart
            key={def.id}
            def={def}
            series={series}
            revision={session.revision}
            colors={colors}
            smoothing={smoothing}
          />
        ))}
      </div>
    </div>
  );
}
