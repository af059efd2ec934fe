/**
 * The live run this tab is training, remembered in localStorage until the worker says it ended. A
 * record that outlives its tab marks a run cut short by a reload or a closed tab; its checkpoints
 * (workers/idb-checkpoint-store.ts) let it go on (interrupted-run.ts offers that).
 *
 * localStorage is shared by every tab of the origin, so the training tab also holds a Web Lock named
 * after the run's checkpoint namespace while it trains: the browser releases it when that tab closes
 * or reloads. Another tab that sees the lock held knows the run is alive, not interrupted, and that
 * its checkpoints are not orphans to delete.
 */
import type { ExperimentSpec } from '../lab/spec.ts';

const STORAGE_KEY = 'orchard.runInProgress';

export interface RunInProgress {
  runId: string;
  name: string;
  spec: ExperimentSpec;
  startedAt: number;
}

export function rememberRunInProgress(runId: string, spec: ExperimentSpec): void {
  const record: RunInProgress = { runId, name: spec.name, spec, startedAt: Date.now() };
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(record));
  } catch {
    // Storage full or disabled: the run still trains, it just cannot be offered for resuming.
  }
}

/** Forgets the record when it is the one of `runId` (or any record, without an id). */
export function forgetRunInProgress(runId?: string): void {
  try {
    if (runId === undefined || readRunInProgress()?.runId === runId) localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to forget.
  }
}

export function readRunInProgress(): RunInProgress | null {
  try {
    const text = localStorage.getItem(STORAGE_KEY);
    if (!text) return null;
    const r = JSON.parse(text) as Partial<RunInProgress>;
    if (typeof r.runId !== 'string' || typeof r.name !== 'string' || typeof r.spec !== 'object' || !r.spec) {
      return null;
    }
    return r as RunInProgress;
  } catch {
    return null;
  }
}

const lockName = (namespace: string) => `orchard.checkpoints.${namespace}`;

/** Holds the lock of a checkpoint namespace until the returned function is called (no-op without the Web Locks API). */
export function holdCheckpointLock(namespace: string): () => void {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return () => {};
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  locks.request(lockName(namespace), () => released).catch(() => {});
  return release;
}

/** Whether some tab is training into this checkpoint namespace right now (false without the Web Locks API). */
export async function checkpointLockHeld(namespace: string): Promise<boolean> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return false;
  const state = await locks.query();
  return (state.held ?? []).some((l) => l.name === lockName(namespace));
}
