/**
 * Saved runs: the list the runs table shows, kept in step with IndexedDB (runs-db.ts). A live run
 * is saved when it ends (done or stopped, with whatever metrics it has); opening a saved run
 * redraws its charts, samples and win rates without retraining.
 */
import { create } from 'zustand';
import { showNotice } from './notice-store.ts';
import { runFromBundle, runToBundle, type SavedRun } from './run-bundle.ts';
import { liveRunActive, useRunStore } from './run-store.ts';
import { deleteRun, getRun, listRuns, type RunSummary, saveRun } from './runs-db.ts';

interface HistoryState {
  runs: RunSummary[];
  loaded: boolean;
  /** The saved run whose spec the table's "differs by" labels compare against; null: the defaults. */
  baselineId: string | null;
  setBaseline: (id: string | null) => void;
}

export const useHistoryStore = create<HistoryState>()((set) => ({
  runs: [],
  loaded: false,
  baselineId: null,
  setBaseline: (baselineId) => set({ baselineId }),
}));

function dbProblem(action: string, err: unknown): void {
  showNotice({
    id: `db-${action}`,
    kind: 'warn',
    title: `Could not ${action}`,
    message: err instanceof Error ? err.message : String(err),
  });
}

export async function refreshHistory(): Promise<void> {
  try {
    useHistoryStore.setState({ runs: await listRuns(), loaded: true });
  } catch (err) {
    useHistoryStore.setState({ loaded: true });
    dbProblem('read saved runs', err);
  }
}

/** Saves the run the lab shows (a finished live run) and refreshes the table. */
export async function saveSession(): Promise<SavedRun | null> {
  const s = useRunStore.getState().session;
  if (s?.origin !== 'live' || !(s.status === 'done' || s.status === 'stopped' || s.status === 'failed')) {
    return null;
  }
  const run: SavedRun = {
    id: s.id,
    createdAt: s.startedAt,
    status: s.status,
    backend: s.backendUsed ?? 'cpu',
    backendNotes: s.backendNotes,
    elapsedMs: s.elapsedMs,
    spec: s.spec,
    series: s.series,
    evals: s.evals,
    evalItems: s.evalItems,
    pairing: s.pairing,
    samples: s.samples,
    adapters: s.adapters,
  };
  try {
    await saveRun(run);
    await refreshHistory();
    return run;
  } catch (err) {
    dbProblem('save the run', err);
    return null;
  }
}

export async function openSavedRun(id: string): Promise<SavedRun | null> {
  if (liveRunActive()) return null; // the table disables Open meanwhile; never hide a live run
  try {
    const run = await getRun(id);
    if (!run) throw new Error(`run ${id} is no longer in the database`);
    useRunStore.getState().showSaved(run);
    return run;
  } catch (err) {
    dbProblem('open the run', err);
    return null;
  }
}

export async function removeSavedRun(id: string): Promise<void> {
  try {
    await deleteRun(id);
    if (useHistoryStore.getState().baselineId === id) useHistoryStore.getState().setBaseline(null);
    await refreshHistory();
  } catch (err) {
    dbProblem('delete the run', err);
  }
}

export async function exportSavedRun(id: string): Promise<{ name: string; text: string } | null> {
  const run = await getRun(id).catch(() => undefined);
  if (!run) return null;
  return { name: `orchard-run-${slug(run.spec.name)}-${id.slice(-6)}.json`, text: runToBundle(run) };
}

/** Imports a bundle file, saves it, shows it. Returns an error message, or null on success. */
export async function importRunBundle(text: string): Promise<string | null> {
  const result = runFromBundle(text, newRunId());
  if (!result.ok) return result.error;
  try {
    await saveRun(result.run);
  } catch (err) {
    return `the run was read but could not be saved: ${err instanceof Error ? err.message : String(err)}`;
  }
  await refreshHistory();
  if (liveRunActive()) {
    showNotice({
      id: 'import-later',
      kind: 'info',
      title: 'Run imported',
      message: 'It is in the saved runs; open it when the current run has finished.',
    });
  } else useRunStore.getState().showSaved(result.run);
  return null;
}

export function newRunId(): string {
  const rand = Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `run-${Date.now().toString(36)}-${rand}`;
}

export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'run'
  );
}
