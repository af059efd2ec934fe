/**
 * One flat row per optimizer step and run: what the charts draw, the runs database stores and the
 * CSV export writes. Keys are TRL's metric names (docs/jpo.md), so users recognise them.
 */
import type { MetricsEvent } from '../lab/events.ts';

/** What the objective reports per step besides its loss; absent for some (SFT has no rewards). */
const OBJECTIVE_METRICS = [
  'rewards/margins',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/accuracies',
  'logps/chosen',
  'logps/rejected',
] as const;
type ObjectiveMetric = (typeof OBJECTIVE_METRICS)[number];

/** Column order of the charts' data and the CSV: the loss, the objective's metrics, then the step's own numbers. */
export const METRIC_KEYS = ['loss', ...OBJECTIVE_METRICS, 'grad_norm', 'learning_rate', 'tokens_per_s'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export type MetricRow = { step: number } & Record<MetricKey, number>;

/** Missing metrics (an objective that has no rewards, e.g. SFT) become NaN: a gap in the chart, not a zero. */
export function metricRow(e: MetricsEvent): MetricRow {
  const reported = (k: string) => (typeof e.metrics[k] === 'number' ? e.metrics[k] : Number.NaN);
  return {
    step: e.step,
    loss: e.loss,
    ...(Object.fromEntries(OBJECTIVE_METRICS.map((k) => [k, reported(k)])) as Record<ObjectiveMetric, number>),
    grad_norm: e.grad_norm,
    learning_rate: e.learning_rate,
    tokens_per_s: e.tokens_per_s,
  };
}

/** Rows of several runs as CSV, one line per (run, step); empty cells for NaN. */
export function metricsToCsv(series: Record<string, readonly MetricRow[]>): string {
  const header = ['run', 'step', ...METRIC_KEYS];
  const lines = [header.join(',')];
  for (const [run, rows] of Object.entries(series)) {
    for (const r of rows) {
      const cells = [
        csvCell(run),
        String(r.step),
        ...METRIC_KEYS.map((k) => (Number.isFinite(r[k]) ? String(r[k]) : '')),
      ];
      lines.push(cells.join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Parses metricsToCsv's output (imported bundles); throws with the line number on a malformed row. */
export function metricsFromCsv(text: string): Record<string, MetricRow[]> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return {};
  const header = splitCsvLine(lines[0]);
  const expected = ['run', 'step', ...METRIC_KEYS];
  if (header.join(',') !== expected.join(',')) {
    throw new Error(`metrics CSV: the header must be "${expected.join(',')}" (got "${lines[0].slice(0, 120)}")`);
  }
  const out: Record<string, MetricRow[]> = Object.create(null);
  for (let i = 1; i < lines.length; i++) {
    const cells = splitCsvLine(lines[i]);
    if (cells.length !== expected.length) {
      throw new Error(`metrics CSV line ${i + 1}: expected ${expected.length} cells, got ${cells.length}`);
    }
    const step = Number(cells[1]);
    if (!Number.isInteger(step) || step < 0)
      throw new Error(`metrics CSV line ${i + 1}: step "${cells[1]}" is not a step`);
    const row = { step } as MetricRow;
    METRIC_KEYS.forEach((k, j) => {
      const cell = cells[j + 2];
      const v = cell === '' ? Number.NaN : Number(cell);
      if (cell !== '' && !Number.isFinite(v))
        throw new Error(`metrics CSV line ${i + 1}: ${k} "${cell}" is not a number`);
      row[k] = v;
    });
    const run = cells[0];
    if (!Object.hasOwn(out, run)) out[run] = [];
    out[run].push(row);
  }
  return { ...out };
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}
