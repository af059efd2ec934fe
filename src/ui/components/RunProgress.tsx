/**
 * The run's status line, its controls (pause, resume, stop), and a progress bar with an ETA per
 * pipeline stage and per run.
 */
import { useEffect, useState } from 'react';
import type { Stage } from '../../lab/events.ts';
import { useHistoryStore } from '../../state/history-store.ts';
import { pauseRun, resumeRun, stopRun } from '../../state/orchard-worker.ts';
import { isLiveStatus, type ProgressEntry, type RunSession, useRunStore } from '../../state/run-store.ts';
import { useSpecStore } from '../../state/spec-store.ts';
import { estimateRun, totalLeftMs } from '../lib/estimate.ts';
import { etaMs, formatDuration } from '../lib/eta.ts';

export const STAGE_NAMES: Record<Stage, string> = {
  load: 'Loading the model',
  sft: 'Supervised fine-tuning',
  sample: 'Sampling answers',
  judge: 'Judging pairs',
  pair: 'Building pairs',
  reference: 'Scoring with the reference',
  train: 'Training',
  evaluate: 'Evaluating',
  done: 'Done',
};

export function RunProgress() {
  const session = useRunStore((s) => s.session);
  // A locked lesson has no Compare button: name the button the student actually sees.
  const locked = useSpecStore((s) => s.view.readonly);
  if (!session) {
    return (
      <p className="muted empty" data-testid="run-empty">
        No run yet. Press <strong>{locked ? 'Run the lesson' : 'Compare DPO vs JPO'}</strong> above: every run starts
        from the same weights, with the same data order and seed, and their curves appear here as they train.
      </p>
    );
  }
  return (
    <div className="run-progress" data-testid="run-progress" data-status={session.status} data-run-id={session.id}>
      <RunStatusLine session={session} />
      {session.progress.length > 0 && (
        <ul className="progress-list" aria-label="Progress by stage">
          {session.progress.map((p) => (
            <ProgressRow key={p.key} entry={p} live={session.origin === 'live' && session.status === 'running'} />
          ))}
        </ul>
      )}
      {session.backendNotes.length > 0 && (
        <ul className="backend-notes">
          {session.backendNotes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {session.error && (
        <div className="notice notice-error" role="alert">
          <strong>
            Failed{session.error.stage ? ` while ${STAGE_NAMES[session.error.stage].toLowerCase()}` : ''}
            {session.error.run ? ` (${session.error.run}` : ''}
            {session.error.step !== null ? `, step ${session.error.step}` : ''}
            {session.error.run ? ')' : ''}:
          </strong>{' '}
          {session.error.message}
          {session.error.hint && <p className="hint">{session.error.hint}</p>}
        </div>
      )}
      {session.logs.length > 0 && (
        <details className="run-log">
          <summary>Log ({session.logs.length})</summary>
          <ol>
            {session.logs.map((l, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: an append-only log
              <li key={i} className={l.level === 'warn' ? 'log-warn' : undefined}>
                {l.message}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

function RunStatusLine({ session }: { session: RunSession }) {
  const now = useNow(session.origin === 'live' && session.status === 'running');
  const live = session.origin === 'live';
  const elapsed =
    live && (session.status === 'running' || session.status === 'paused') ? now - session.startedAt : session.elapsedMs;
  const backend =
    session.backendUsed === 'webgpu→cpu'
      ? 'WebGPU, then CPU'
      : session.backendUsed === 'webgpu'
        ? 'WebGPU'
        : session.backendUsed === 'cpu'
          ? 'CPU'
          : '…';
  return (
    <div className="run-status">
      <span className={`badge ${statusBadge(session.status)}`} data-testid="run-status">
        {statusText(session)}
      </span>
      <span className="muted">
        {session.spec.name} · {session.spec.runs.map((r) => r.label).join(' vs ')} · backend {backend}
        {elapsed > 0 ? ` · ${formatDuration(elapsed)}` : ''}
      </span>
      {live && (session.status === 'running' || session.status === 'paused') && (
        <TotalLeft session={session} elapsed={elapsed} />
      )}
      {live && isLiveStatus(session.status) && (
        <span className="run-controls">
          {session.status === 'paused' ? (
            <button type="button" className="button" onClick={resumeRun}>
              Resume
            </button>
          ) : (
            <button type="button" className="button" onClick={pauseRun} disabled={session.status !== 'running'}>
              Pause
            </button>
          )}
          <button
            type="button"
            className="button button-danger"
            onClick={stopRun}
            disabled={!(session.status === 'running' || session.status === 'paused' || session.status === 'starting')}
          >
            Stop
          </button>
        </span>
      )}
    </div>
  );
}

/**
 * Time left in the whole run, across stages: the estimate the hero showed (scaled from the last
 * run, estimate.ts), less the time spent, and never less than what the stage in progress needs.
 */
function TotalLeft({ session, elapsed }: { session: RunSession; elapsed: number }) {
  const history = useHistoryStore((s) => s.runs);
  const backend = session.backendUsed === 'cpu' || session.backendUsed === 'webgpu→cpu' ? 'cpu' : 'webgpu';
  const estimate = estimateRun(session.spec, backend, history);
  const current = session.progress.find((p) => p.done < p.total);
  const stageLeft = current
    ? etaMs({ at: current.firstAt, done: current.firstDone }, { at: current.at, done: current.done }, current.total)
    : null;
  const left = totalLeftMs(estimate.totalMs, elapsed, stageLeft);
  return (
    <span className="muted total-eta" data-testid="total-eta" title={`Estimate ${estimate.basis}`}>
      {left > 0 ? `about ${formatDuration(left)} left in all` : 'finishing…'}
    </span>
  );
}

function statusText(s: RunSession): string {
  switch (s.status) {
    case 'starting':
      return 'Starting…';
    case 'running':
      return s.stage ? STAGE_NAMES[s.stage] : 'Running';
    case 'paused':
      return 'Paused';
    case 'stopping':
      return 'Stopping…';
    case 'done':
      return s.origin === 'saved' ? 'Saved run' : 'Done';
    case 'stopped':
      return 'Stopped';
    case 'failed':
      return 'Failed';
  }
}

function statusBadge(status: RunSession['status']): string {
  if (status === 'done') return 'badge-good';
  if (status === 'failed') return 'badge-bad';
  if (status === 'stopped' || status === 'paused') return 'badge-warn';
  return 'badge-pending';
}

function ProgressRow({ entry, live }: { entry: ProgressEntry; live: boolean }) {
  const fraction = entry.total > 0 ? Math.min(1, entry.done / entry.total) : 0;
  const eta = etaMs({ at: entry.firstAt, done: entry.firstDone }, { at: entry.at, done: entry.done }, entry.total);
  const label = `${STAGE_NAMES[entry.stage]}${entry.run ? ` ${entry.run}` : ''}`;
  return (
    <li className="progress-row" data-stage={entry.stage} data-run={entry.run ?? undefined}>
      <span className="progress-label">{label}</span>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={entry.total}
        aria-valuenow={entry.done}
        aria-valuetext={`${entry.done} of ${entry.total}`}
      >
        <div className="progress-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <span className="progress-count">
        {entry.done}/{entry.total}
      </span>
      <span className="progress-eta muted">
        {entry.done >= entry.total ? '✓' : live && eta !== null ? `~${formatDuration(eta)} left` : ''}
      </span>
      <span className="progress-message muted">{entry.message}</span>
    </li>
  );
}

/** The current time, ticking each second while `on` (for elapsed-time displays). */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return on ? now : Date.now();
}
