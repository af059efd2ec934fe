/**
 * The page's side of the training worker: one module worker per page, requests with ids, replies
 * routed into the stores. UI code calls the functions here and reads the stores; it never talks to
 * the worker directly.
 */

import {
  type FromWorker,
  fromWorkerProblem,
  type ToWorker,
  type Unversioned,
  withVersion,
} from '../../workers/protocol.ts';
import type { Winner } from '../data/judges/types.ts';
import { checkpointNamespace } from '../lab/checkpoint.ts';
import type { ExperimentSpec } from '../lab/spec.ts';
import { useCapabilityStore } from './capability-store.ts';
import { newRunId, saveSession } from './history-store.ts';
import { useLiveJudgeStore } from './live-judge-store.ts';
import { showNotice, useNoticeStore } from './notice-store.ts';
import { forgetRunInProgress, holdCheckpointLock, rememberRunInProgress } from './run-in-progress.ts';
import { isLiveStatus, useRunStore } from './run-store.ts';
import { isTokenMarginsRequest, type TokenMarginsQuery, useTokenMarginsStore } from './token-margins-store.ts';

let worker: Worker | null = null;
/** Releases of the Web Locks that tell other tabs a run is training here (run-in-progress.ts). */
const runLocks = new Map<string, () => void>();
let nextId = 1;
/** The id of the probe awaiting its answer, so errors about other requests are not blamed on it. */
let pendingProbe: number | null = null;

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('../../workers/orchard.worker.ts', import.meta.url), {
    type: 'module',
    name: 'orchard-training',
  });
  w.addEventListener('message', (event: MessageEvent<unknown>) => {
    const problem = fromWorkerProblem(event.data);
    if (problem) {
      console.error(`orchard: dropped a message from the worker: ${problem}`);
      return;
    }
    route(event.data as FromWorker);
  });
  w.addEventListener('error', (event: ErrorEvent) => {
    // A module that fails to load or throws at top level lands here; nothing else will answer.
    event.preventDefault();
    const where = event.filename ? ` (${event.filename}:${event.lineno})` : '';
    const message = `the training worker crashed: ${event.message || 'unknown error'}${where}`;
    if (pendingProbe !== null) useCapabilityStore.getState().failed(message);
    pendingProbe = null;
    const session = useRunStore.getState().session;
    if (session?.origin === 'live' && isLiveStatus(session.status)) {
      useRunStore
        .getState()
        .finished(
          session.id,
          'failed',
          { stage: session.stage, run: null, step: null, message, hint: 'reload the page and run again' },
          Date.now() - session.startedAt,
        );
    }
    worker?.terminate();
    worker = null;
  });
  worker = w;
  return w;
}

/** A request without its version and id (send adds both). */
type Request = ToWorker extends infer M ? (M extends unknown ? Omit<M, 'v' | 'id'> : never) : never;

function send(msg: Request): number {
  const id = nextId++;
  getWorker().postMessage(withVersion<ToWorker>({ ...msg, id } as Unversioned<ToWorker>));
  return id;
}

function route(msg: FromWorker): void {
  const runs = useRunStore.getState();
  switch (msg.type) {
    case 'ready':
      return;
    case 'probe-result':
      if (msg.id !== pendingProbe) return; // superseded by a newer probe
      pendingProbe = null;
      useCapabilityStore.getState().received(msg.report);
      return;
    case 'run-started':
      runs.started(msg.runId, msg.backend, msg.note);
      return;
    case 'run-events':
      runs.applyEvents(msg.runId, msg.events);
      return;
    case 'run-state':
      runs.setLiveState(msg.runId, msg.state);
      return;
    case 'run-backend': {
      const at = msg.run ? ` while training ${msg.run}` : '';
      const from = msg.resumedFromStep !== null ? `, resuming from its checkpoint at step ${msg.resumedFromStep}` : '';
      const note = `${msg.reason}${at}; continued on the ${msg.backend === 'cpu' ? 'CPU' : 'GPU'}${from}.`;
      runs.backendSwitched(msg.runId, msg.backend, note);
      showNotice({ id: `backend-${msg.runId}`, kind: 'warn', title: 'Training moved to the CPU', message: note });
      return;
    }
    case 'judge-pending':
      useLiveJudgeStore.getState().received(msg.runId, msg.pending, msg.answered, msg.total, msg.purpose);
      return;
    case 'run-adapters':
      runs.receivedAdapters(msg.runId, msg.adapters);
      return;
    case 'run-finished':
      // The worker deleted the run's checkpoints: there is nothing left to resume.
      forgetRunInProgress(msg.runId);
      runLocks.get(msg.runId)?.();
      runLocks.delete(msg.runId);
      runs.finished(msg.runId, msg.outcome, msg.error, msg.elapsedMs);
      useLiveJudgeStore.getState().clear(msg.runId);
      if (msg.outcome === 'failed' && msg.error) {
        const e = msg.error;
        const where = [e.stage && `stage ${e.stage}`, e.run && `run ${e.run}`, e.step !== null && `step ${e.step}`]
          .filter(Boolean)
          .join(', ');
        // One banner for the latest failure: a run tried again and failing again replaces it.
        showNotice({
          id: 'run-failed',
          kind: 'error',
          title: `The run failed${where ? ` (${where})` : ''}`,
          message: `${e.message}${e.hint ? ` — ${e.hint}` : ''}`,
        });
      }
      void saveSession();
      return;
    case 'token-margins-result':
      useTokenMarginsStore.getState().received(msg.id, msg.answer);
      return;
    case 'error':
      // The token view shows its own failures (a request the user made, not a fault of the page).
      if (isTokenMarginsRequest(msg.id)) {
        useTokenMarginsStore.getState().failed(msg.id as number, msg.message);
        return;
      }
      console.error(`orchard worker: ${msg.message}`);
      if (msg.id !== null && msg.id === pendingProbe) {
        pendingProbe = null;
        useCapabilityStore.getState().failed(msg.message);
      }
      return;
  }
}

/** Ask the worker which backend training gets; the answer lands in useCapabilityStore. */
export function probeCapabilities(): void {
  useCapabilityStore.getState().probing();
  pendingProbe = send({ type: 'probe' });
}

/** Starts training `spec` (validated by the caller); progress lands in useRunStore. Returns the run id. */
export function startRun(spec: ExperimentSpec): string {
  const runId = newRunId();
  useRunStore.getState().begin(runId, spec);
  useLiveJudgeStore.getState().clear();
  // The previous attempt's failure is not this run's.
  useNoticeStore.getState().dismiss('run-failed');
  rememberRunInProgress(runId, spec);
  runLocks.set(runId, holdCheckpointLock(checkpointNamespace(spec)));
  send({ type: 'start', runId, spec });
  return runId;
}

export function pauseRun(): void {
  const s = useRunStore.getState().session;
  if (s?.origin === 'live' && s.status === 'running') send({ type: 'pause', runId: s.id });
}

export function resumeRun(): void {
  const s = useRunStore.getState().session;
  if (s?.origin === 'live' && s.status === 'paused') send({ type: 'resume', runId: s.id });
}

export function stopRun(): void {
  const s = useRunStore.getState().session;
  if (s?.origin !== 'live' || !isLiveStatus(s.status)) return;
  useRunStore.getState().setLiveState(s.id, 'stopping');
  send({ type: 'stop', runId: s.id });
}

/** A person's verdict on one comparison the live run waits for (a human pairing judge). */
export function answerComparison(comparison: string, winner: Winner): void {
  const s = useRunStore.getState().session;
  const judge = useLiveJudgeStore.getState();
  if (s?.origin !== 'live' || !isLiveStatus(s.status) || judge.runId !== s.id) return;
  if (!judge.pending.some((p) => p.id === comparison) || judge.sent.includes(comparison)) return;
  judge.markSent(s.id, comparison);
  send({ type: 'judge-answer', runId: s.id, comparison, winner });
}

/** Destroys the GPU device of the current run (tests and the "what if the GPU resets?" lesson). */
export function loseDevice(): void {
  send({ type: 'debug-lose-device' });
}

/** Asks the worker for one pair's token margins under each of `runs` at `query.step` (the token view). */
export function requestTokenMargins(query: TokenMarginsQuery, runs: readonly string[]): void {
  const ids: Record<number, string> = {};
  for (const run of runs) {
    const { runId, pairFrom, pairIndex, step } = query;
    ids[send({ type: 'token-margins', runId, run, pairFrom, pairIndex, step })] = run;
  }
  useTokenMarginsStore.getState().asked(query, ids);
}
