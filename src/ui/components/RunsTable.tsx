/**
 * Saved runs (IndexedDB): what each run changed compared with a baseline (the defaults or a run you
 * pick), status and win rates, and per run: open (charts redraw without retraining), export
 * (one JSON bundle, or the spec, metrics CSV and adapter files one by one), delete. Import takes a
 * bundle back.
 */
import { useEffect, useMemo, useState } from 'react';
import { DEFAULT_SPEC } from '../../lab/spec.ts';
import {
  exportSavedRun,
  importRunBundle,
  openSavedRun,
  refreshHistory,
  removeSavedRun,
  slug,
  useHistoryStore,
} from '../../state/history-store.ts';
import { metricsToCsv } from '../../state/metric-rows.ts';
import { showNotice } from '../../state/notice-store.ts';
import { isLiveStatus, useRunStore } from '../../state/run-store.ts';
import { getRun, type RunSummary } from '../../state/runs-db.ts';
import { useSpecStore } from '../../state/spec-store.ts';
import { downloadFile } from '../download.ts';
import { diffLabels } from '../lib/diff-labels.ts';
import { formatDuration } from '../lib/eta.ts';
import { FilePicker } from './FilePicker.tsx';
import { TableHead } from './Panel.tsx';

export function RunsTable() {
  const runs = useHistoryStore((s) => s.runs);
  const loaded = useHistoryStore((s) => s.loaded);
  const baselineId = useHistoryStore((s) => s.baselineId);
  const setBaseline = useHistoryStore((s) => s.setBaseline);
  const shownId = useRunStore((s) => s.session?.id);
  const [importing, setImporting] = useState(false);

  useEffect(() => {
    void refreshHistory();
  }, []);

  const baseline = runs.find((r) => r.id === baselineId)?.spec ?? DEFAULT_SPEC;
  const labels = useMemo(() => new Map(runs.map((r) => [r.id, diffLabels(baseline, r.spec)])), [runs, baseline]);

  const importFile = async (file: File) => {
    setImporting(true);
    const error = await importRunBundle(await file.text());
    setImporting(false);
    if (error) showNotice({ id: 'import', kind: 'error', title: `Could not import ${file.name}`, message: error });
  };

  return (
    <div className="runs" data-testid="runs-table-wrap">
      <div className="runs-toolbar">
        <label className="baseline-picker">
          <span className="muted">Differences compared with</span>
          <select className="input" value={baselineId ?? ''} onChange={(e) => setBaseline(e.target.value || null)}>
            <option value="">the default experiment</option>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                {r.spec.name} ({new Date(r.createdAt).toLocaleString()})
              </option>
            ))}
          </select>
        </label>
        <FilePicker
          label={importing ? 'Importing…' : 'Import a run'}
          inputLabel="Run file to import"
          testId="import-run"
          disabled={importing}
          onFile={(f) => void importFile(f)}
        />
      </div>
      {!loaded && <p className="muted">Reading saved runs…</p>}
      {loaded && runs.length === 0 && (
        <p className="muted">Finished runs are saved here automatically, in this browser.</p>
      )}
      {runs.length > 0 && (
        <div className="table-scroll">
          <table className="table runs-table" data-testid="runs-table">
            <TableHead columns={['Run', 'Differs by', 'Result', 'Actions']} />
            <tbody>
              {runs.map((r) => (
                <RunRow
                  key={r.id}
                  run={r}
                  labels={labels.get(r.id) ?? []}
                  shown={r.id === shownId}
                  isBaseline={r.id === baselineId}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function RunRow({
  run,
  labels,
  shown,
  isBaseline,
}: {
  run: RunSummary;
  labels: string[];
  shown: boolean;
  isBaseline: boolean;
}) {
  const setDraft = useSpecStore((s) => s.setDraft);
  const training = useRunStore((s) => s.session?.origin === 'live' && isLiveStatus(s.session.status));
  const steps = Object.entries(run.steps)
    .map(([label, n]) => `${label} ${n}`)
    .join(' · ');
  return (
    <tr className={shown ? 'row-shown' : undefined} data-run-id={run.id}>
      <th scope="row">
        <div className="run-name">{run.spec.name}</div>
        <div className="muted small">
          {new Date(run.createdAt).toLocaleString()} · {run.spec.runs.map((r) => r.label).join(' vs ')}
        </div>
      </th>
      <td>
        {isBaseline ? (
          <span className="chip chip-base">baseline</span>
        ) : labels.length === 0 ? (
          <span className="muted small">same settings</span>
        ) : (
          <ul className="chips" aria-label="Differences" data-testid="diff-labels">
            {labels.map((l) => (
              <li key={l} className="chip">
                {l}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <div className="small">
          <span className={`status-dot status-${run.status}`} aria-hidden="true" />
          {run.status} on {run.backend} · {formatDuration(run.elapsedMs)}
        </div>
        <div className="muted small">steps: {steps || 'none'}</div>
        {run.evals.length > 0 && (
          <div className="small">
            win rate: {run.evals.map((e) => `${e.run} ${(e.winRate.rate * 100).toFixed(0)}%`).join(' · ')}
          </div>
        )}
      </td>
      <td>
        <div className="row-actions">
          <button
            type="button"
            className="button button-small"
            onClick={() => void openSavedRun(run.id)}
            aria-label={`Open ${run.spec.name}`}
            disabled={training}
            title={training ? 'A run is training: open saved runs when it ends' : undefined}
          >
            {shown ? 'Shown' : 'Open'}
          </button>
          <button
            type="button"
            className="button button-small"
            onClick={() => setDraft(run.spec, `saved run ${new Date(run.createdAt).toLocaleTimeString()}`)}
          >
            Edit copy
          </button>
          <ExportMenu run={run} />
          <button
            type="button"
            className="button button-small button-quiet"
            onClick={() => void removeSavedRun(run.id)}
            aria-label={`Delete ${run.spec.name}`}
          >
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}

function ExportMenu({ run }: { run: RunSummary }) {
  const base = `${slug(run.spec.name)}-${run.id.slice(-6)}`;
  const withRun = async (fn: (full: NonNullable<Awaited<ReturnType<typeof getRun>>>) => void) => {
    const full = await getRun(run.id).catch(() => undefined);
    if (full) fn(full);
  };
  return (
    <details className="export-menu">
      <summary className="button button-small">Export</summary>
      <div className="export-items">
        <button
          type="button"
          className="link-button"
          data-testid="export-bundle"
          onClick={async () => {
            const b = await exportSavedRun(run.id);
            if (b) downloadFile(b.name, b.text, 'application/json');
          }}
        >
          Run bundle (.json, everything)
        </button>
        <button
          type="button"
          className="link-button"
          onClick={() =>
            downloadFile(`${base}.orchard-spec.json`, `${JSON.stringify(run.spec, null, 2)}\n`, 'application/json')
          }
        >
          Spec (.json)
        </button>
        <button
          type="button"
          className="link-button"
          data-testid="export-csv"
          onClick={() => withRun((full) => downloadFile(`${base}-metrics.csv`, metricsToCsv(full.series), 'text/csv'))}
        >
          Metrics (.csv)
        </button>
        <button
          type="button"
          className="link-button"
          onClick={() =>
            withRun((full) => {
              if (full.adapters.length === 0) {
                showNotice({
                  id: 'no-adapters',
                  kind: 'info',
                  title: 'No adapters',
                  message: 'This run saved no LoRA adapters.',
                });
              }
              for (const a of full.adapters) {
                downloadFile(`${base}-${slug(a.run)}-adapter_config.json`, a.config, 'application/json');
                downloadFile(`${base}-${slug(a.run)}-adapter_model.safetensors`, a.safetensors);
              }
            })
          }
        >
          LoRA adapters (PEFT files)
        </button>
      </div>
    </details>
  );
}
