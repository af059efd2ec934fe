/**
 * The run the lab shows: a live one streaming from the training worker, or a saved one redrawn from
 * the runs database (no retraining). Filled by the worker client (orchard-worker.ts) and by
 * history-store.ts; read by the progress, chart, samples and win-rate views.
 */
import { create } from 'zustand';
import type { AdapterExport, RunErrorInfo, TrainingBackend } from '../../workers/protocol.ts';
import type { EvalItemOutcome, EvalReport, PairingEvent, PipelineEvent, SamplesEvent, Stage } from '../lab/events.ts';
import type { ExperimentSpec } from '../lab/spec.ts';
import { type MetricRow, metricRow } from './metric-rows.ts';
import type { BackendUsed, RunStatus, SavedAdapter, SavedRun } from './run-bundle.ts';

export type SessionStatus = 'starting' | RunStatusLive | RunStatus;
type RunStatusLive = 'running' | 'paused' | 'stopping';

/** One progress bar: a stage, or a run within the train/evaluate stages. */
export interface ProgressEntry {
  key: string;
  stage: Stage;
  run: string | null;
  done: number;
  total: number;
  message: string;
  /** First report of this bar (the ETA's start mark) and the latest one, in page time (ms). */
  firstAt: number;
  firstDone: number;
  at: number;
}

export interface LogLine {
  level: 'info' | 'warn';
  message: string;
  at: number;
}

export interface RunSession {
  id: string;
  spec: ExperimentSpec;
  /** 'saved': redrawn from the database or an imported file, not running. */
  origin: 'live' | 'saved';
  status: SessionStatus;
  backend: TrainingBackend | null;
  backendUsed: BackendUsed | null;
  backendNotes: string[];
  startedAt: number;
  elapsedMs: number;
  stage: Stage | null;
  progress: ProgressEntry[];
  /** Raw rows per run label, every step (charts downsample for drawing). */
  series: Record<string, MetricRow[]>;
  samples: SamplesEvent[];
  evals: EvalReport[];
  /** Every held-out item per run label, as judged (for the per-item view and the paired difference). */
  evalItems: Record<string, EvalItemOutcome[]>;
  logs: LogLine[];
  /** Each run's judge counts (pairs kept, ties, inconsistent verdicts) by run label; empty for saved runs. */
  pairing: Record<string, PairingEvent>;
  error: RunErrorInfo | null;
  adapters: SavedAdapter[];
  /** Bumped on every change of series, so charts can memoise on one number. */
  revision: number;
}

export interface RunStoreState {
  session: RunSession | null;
  begin: (id: string, spec: ExperimentSpec) => void;
  started: (id: string, backend: TrainingBackend, note: string | null) => void;
  applyEvents: (id: string, events: readonly PipelineEvent[]) => void;
  setLiveState: (id: string, state: RunStatusLive) => void;
  backendSwitched: (id: string, backend: TrainingBackend, note: string) => void;
  receivedAdapters: (id: string, adapters: AdapterExport[]) => void;
  finished: (id: string, outcome: RunStatus, error: RunErrorInfo | null, elapsedMs: number) => void;
  showSaved: (run: SavedRun) => void;
  clear: () => void;
}

const MAX_LOG_LINES = 500;

/** Whether a run is still going (started and not finished). */
export function isLiveStatus(status: SessionStatus | undefined): boolean {
  return status === 'starting' || status === 'running' || status === 'paused' || status === 'stopping';
}

/** Whether the lab is showing a run that is still training (saved runs must not replace it). */
export function liveRunActive(): boolean {
  const s = useRunStore.getState().session;
  return s?.origin === 'live' && isLiveStatus(s.status);
}

function emptySession(id: string, spec: ExperimentSpec): RunSession {
  return {
    id,
    spec,
    origin: 'live',
    status: 'starting',
    backend: null,
    backendUsed: null,
    backendNotes: [],
    startedAt: Date.now(),
    elapsedMs: 0,
    stage: null,
    progress: [],
    series: {},
    samples: [],
    evals: [],
    evalItems: {},
    logs: [],
    pairing: {},
    error: null,
    adapters: [],
    revision: 0,
  };
}

export const useRunStore = create<RunStoreState>()((set) => {
  /** Applies `fn` to the session when it is the one named `id` (late messages of an older run are dropped). */
  const update = (id: string, fn: (s: RunSession) => Partial<RunSession>) =>
    set((state) => (state.session?.id === id ? { session: { ...state.session, ...fn(state.session) } } : state));

  return {
    session: null,
    begin: (id, spec) => set({ session: emptySession(id, spec) }),
    started: (id, backend, note) =>
      update(id, (s) => ({
        status: 'running',
        backend,
        backendUsed: backend,
        backendNotes: note ? [...s.backendNotes, note] : s.backendNotes,
      })),
    applyEvents: (id, events) => update(id, (s) => reduceEvents(s, events, performance.now())),
    setLiveState: (id, state) => update(id, () => ({ status: state })),
    backendSwitched: (id, backend, note) =>
      update(id, (s) => ({
        backend,
        backendUsed: s.backendUsed === 'webgpu' && backend === 'cpu' ? 'webgpu→cpu' : s.backendUsed,
        backendNotes: [...s.backendNotes, note],
      })),
    receivedAdapters: (id, adapters) => update(id, () => ({ adapters })),
    finished: (id, outcome, error, elapsedMs) =>
      update(id, (s) => ({
        status: outcome,
        error,
        elapsedMs,
        stage: outcome === 'done' ? 'done' : s.stage,
      })),
    showSaved: (run) =>
      set({
        session: {
          ...emptySession(run.id, run.spec),
          origin: 'saved',
          status: run.status,
          backend: run.backend === 'webgpu' ? 'webgpu' : 'cpu',
          backendUsed: run.backend,
          backendNotes: run.backendNotes,
          startedAt: run.createdAt,
          elapsedMs: run.elapsedMs,
          stage: run.status === 'done' ? 'done' : null,
          series: run.series,
          samples: run.samples,
          evals: run.evals,
          evalItems: run.evalItems ?? {},
          pairing: run.pairing ?? {},
          adapters: run.adapters,
          revision: 1,
        },
      }),
    clear: () => set({ session: null }),
  };
});

/** Folds a batch of pipeline events into the session: one new object per batch, not per event. */
export function reduceEvents(s: RunSession, events: readonly PipelineEvent[], now: number): Partial<RunSession> {
  let series = s.series;
  let progress = s.progress;
  let samples = s.samples;
  let evals = s.evals;
  let evalItems = s.evalItems;
  let logs = s.logs;
  let pairing = s.pairing;
  let stage = s.stage;
  let seriesChanged = false;
  const copied = new Set<string>();
  for (const e of events) {
    switch (e.kind) {
      case 'metrics': {
        if (!seriesChanged) {
          series = { ...series };
          seriesChanged = true;
        }
        if (!copied.has(e.run)) {
          series[e.run] = [...(series[e.run] ?? [])];
          copied.add(e.run);
        }
        const rows = series[e.run];
        // A run resumed from a checkpoint (after a device loss) logs its last steps again: the new
        // values replace the old ones.
        while (rows.length > 0 && rows[rows.length - 1].step >= e.step) rows.pop();
        rows.push(metricRow(e));
        break;
      }
      case 'progress': {
        stage = e.stage;
        if (e.stage === 'done') break;
        // Training reports per run (one bar each); other stages mention the run they are on, but
        // count over the whole stage, so they get one bar.
        const run = e.stage === 'train' || e.stage === 'sft' ? (e.run ?? null) : null;
        const key = `${e.stage}|${run ?? ''}`;
        const i = progress.findIndex((p) => p.key === key);
        const prev = i >= 0 ? progress[i] : null;
        const entry: ProgressEntry = {
          key,
          stage: e.stage,
          run,
          done: e.done,
          total: e.total,
          message: e.message,
          firstAt: prev?.firstAt ?? now,
          firstDone: prev?.firstDone ?? e.done,
          at: now,
        };
        progress = i >= 0 ? progress.map((p, j) => (j === i ? entry : p)) : [...progress, entry];
        break;
      }
      case 'samples':
        samples = [...samples, e];
        break;
      case 'eval':
        evals = [...evals.filter((r) => r.run !== e.report.run), e.report];
        if (e.items) evalItems = { ...evalItems, [e.report.run]: e.items };
        break;
      case 'pairing':
        pairing = { ...pairing, [e.run]: e };
        break;
      case 'log':
        logs = [...logs, { level: e.level, message: e.message, at: Date.now() }].slice(-MAX_LOG_LINES);
        break;
    }
  }
  return {
    series,
    progress,
    samples,
    evals,
    evalItems,
    logs,
    pairing,
    stage,
    revision: seriesChanged ? s.revision + 1 : s.revision,
  };
}
