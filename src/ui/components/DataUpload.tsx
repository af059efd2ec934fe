/**
 * Your own data: drop or pick a JSON, JSON Lines or CSV file (the formats `orchard data inspect`
 * reads), see the same summary (counts, lengths, problems and warnings by line), then put its
 * rows into the experiment (data.rows) to train on.
 */
import { type DragEvent, useState } from 'react';
import type { LengthStats } from '../../data/summary.ts';
import { validateSpec } from '../../lab/spec.ts';
import { useSpecStore } from '../../state/spec-store.ts';
import { formatCount, problemText } from '../format.ts';
import { judgeChanges, readDataFile, type UploadedData, withUploadedRows } from '../lib/uploaded-data.ts';
import { FilePickButton } from './FilePickButton.tsx';

const SHOWN_PROBLEMS = 20;

export function DataUpload() {
  const locked = useSpecStore((s) => s.view.readonly || s.view.hide.includes('data'));
  const draft = useSpecStore((s) => s.draft);
  const setDraft = useSpecStore((s) => s.setDraft);
  const [data, setData] = useState<UploadedData | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  if (locked) return null;

  const read = async (file: File) => {
    setFailure(null);
    setData(null);
    try {
      setData(await readDataFile(file, file.name));
    } catch (err) {
      setFailure(`${file.name} could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void read(file);
  };
  const next = data && data.rows.length > 0 ? withUploadedRows(draft, data) : null;
  const checked = next ? validateSpec(next) : null;
  const inUse =
    data !== null &&
    draft.data.source === 'file' &&
    'rows' in draft.data &&
    JSON.stringify(draft.data.rows) === JSON.stringify(data.rows);

  return (
    <section className="card data-upload" aria-labelledby="data-upload-title" data-testid="data-upload">
      <h2 id="data-upload-title">Your own data</h2>
      <p className="muted">
        Comparisons in the paper’s format (<code>i_chosen, r_chosen, i_reject, r_reject</code>), TRL’s (
        <code>prompt, chosen, rejected</code>), Anthropic-HH, or (instruction, response) rows to pair and judge; as
        JSON, JSON Lines or CSV. The file is read here, in this browser.
      </p>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the drop zone; the button inside is the keyboard way */}
      <div
        className={`drop-zone${dragging ? ' drop-zone-active' : ''}`}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        Drop a file here, or{' '}
        <FilePickButton
          className="button button-small"
          accept=".json,.jsonl,.csv,.tsv,application/json,text/csv"
          inputLabel="Data file to inspect"
          onFile={(f) => void read(f)}
        >
          pick a file
        </FilePickButton>
      </div>
      {failure && (
        <p className="notice notice-error" role="alert">
          {failure}
        </p>
      )}
      {data && <DataReport data={data} />}
      {data && data.rows.length === 0 && (
        <p className="notice notice-error" role="alert" data-testid="data-unusable">
          No row of {data.name} can be trained on: fix the problems listed above and pick it again.
        </p>
      )}
      {checked && !checked.ok && (
        <div className="notice notice-error" role="alert" data-testid="data-spec-errors">
          <strong>These rows do not fit an experiment:</strong>
          <ul>
            {checked.errors.slice(0, 5).map((e) => (
              <li key={e.path}>{problemText(e.path, e.message)}</li>
            ))}
          </ul>
        </div>
      )}
      {next && checked?.ok && (
        <p className="actions">
          <button
            type="button"
            className="button"
            disabled={inUse}
            data-testid="use-data"
            onClick={() => setDraft(next, `data: ${data?.name}`)}
          >
            {inUse ? 'In the experiment' : `Use these ${formatCount(data?.rows.length ?? 0)} rows in the experiment`}
          </button>
          <span className="muted small" data-testid="data-use-note">
            They replace the task’s generated data (data.rows); the other settings stay
            {judgeChanges(draft, next).map((c) => `; ${c}`)}. Then press Compare.
          </span>
        </p>
      )}
    </section>
  );
}

function DataReport({ data }: { data: UploadedData }) {
  const s = data.summary;
  const empties = Object.entries(s.emptyFields).map(([k, v]) => `${k} ${v}`);
  return (
    <div className="data-report" data-testid="data-summary">
      <p>
        <strong>{data.name}</strong> ({formatCount(s.bytes)} bytes, {s.container}, format {s.format ?? 'unknown'})
      </p>
      <ul className="data-counts">
        {(s.pairs > 0 || s.candidates === 0) && (
          <li data-testid="data-pairs">
            pairs: {formatCount(s.pairs)} ({formatCount(s.conditional)} conditional: same instruction;{' '}
            {formatCount(s.joint)} joint: different instructions)
          </li>
        )}
        {s.candidates > 0 && <li>candidates (instruction, response): {formatCount(s.candidates)}, not pairs yet</li>}
        <li>distinct instructions: {formatCount(s.distinctInstructions)}</li>
        <li>
          duplicates: {s.duplicates} · chosen = rejected: {s.identicalSides} · empty fields:{' '}
          {empties.join(', ') || 'none'}
        </li>
        {data.leftOut > 0 && (
          <li className="field-error">
            {formatCount(data.leftOut)} rows left out: an experiment holds at most {formatCount(data.rows.length)}{' '}
            inline rows
          </li>
        )}
      </ul>
      {s.promptLength && s.responseLength && (
        <div className="table-scroll">
          <table className="table data-lengths">
            <caption className="muted">
              Lengths in characters, {s.pairs > 0 ? 'per side, 2 per pair' : 'per candidate'}, n ={' '}
              {s.promptLength.count}
            </caption>
            <thead>
              <tr>
                <th scope="col" />
                {['min', 'mean', 'p50', 'p95', 'max'].map((h) => (
                  <th key={h} scope="col" className="num">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <LengthRow name="prompt" stats={s.promptLength} />
              <LengthRow name="response" stats={s.responseLength} />
            </tbody>
          </table>
        </div>
      )}
      <LineList kind="problem" items={data.problems} />
      <LineList kind="warning" items={data.warnings} />
    </div>
  );
}

function LengthRow({ name, stats }: { name: string; stats: LengthStats }) {
  return (
    <tr>
      <th scope="row">{name}</th>
      {[stats.min, stats.mean, stats.p50, stats.p95, stats.max].map((v, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a fixed set of columns
        <td key={i} className="num">
          {Number.isInteger(v) ? v : v.toFixed(1)}
        </td>
      ))}
    </tr>
  );
}

function LineList({ kind, items }: { kind: 'problem' | 'warning'; items: { line: number; reason: string }[] }) {
  if (items.length === 0) return <p className="muted small">{kind === 'problem' ? 'No problems.' : 'No warnings.'}</p>;
  return (
    <div className={kind === 'problem' ? 'notice notice-error' : 'notice notice-warn'} data-testid={`data-${kind}s`}>
      <strong>
        {items.length === 1 ? `1 row with a ${kind}` : `${formatCount(items.length)} rows with a ${kind}`}
        {kind === 'problem' ? ', left out:' : ', read anyway:'}
      </strong>
      <ul>
        {items.slice(0, SHOWN_PROBLEMS).map((p) => (
          <li key={`${p.line}:${p.reason}`}>
            line {p.line}: {p.reason}
          </li>
        ))}
        {items.length > SHOWN_PROBLEMS && <li>and {formatCount(items.length - SHOWN_PROBLEMS)} more</li>}
      </ul>
    </div>
  );
}
