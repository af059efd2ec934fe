/**
 * Orchard's IndexedDB database ("orchard"): saved runs (spec, metrics, samples, evals, adapter
 * bytes) and the labels a person gave in the labelling view. Everything stays in this browser.
 *
 * Stores: `runs` (SavedRun, key `id`), `labels` (HumanPairLabel, key `key`).
 */
import type { SavedRun } from './run-bundle.ts';

const DB_NAME = 'orchard';
const DB_VERSION = 1;

/** A pair the person judged, with the answer. `key` identifies the pair (both sides, in order). */
export interface HumanPairLabel {
  key: string;
  kind: 'conditional' | 'joint';
  a: { instruction: string; response: string };
  b: { instruction: string; response: string };
  winner: 'a' | 'b' | 'tie' | 'skip';
  answeredAt: number;
}

/** What the runs table lists: a saved run without its bulky parts. */
export type RunSummary = Omit<SavedRun, 'series' | 'adapters' | 'samples' | 'evalItems'> & {
  steps: Record<string, number>;
};

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  if (opening) return opening;
  opening = new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('this browser has no IndexedDB (private mode?): runs and labels cannot be saved'));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('runs')) db.createObjectStore('runs', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('labels')) db.createObjectStore('labels', { keyPath: 'key' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () =>
      reject(new Error(`could not open the browser database: ${req.error?.message ?? 'unknown error'}`));
    req.onblocked = () => reject(new Error('the browser database is busy in another tab; close other Orchard tabs'));
  });
  opening.catch(() => {
    opening = null;
  });
  return opening;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

async function store(name: 'runs' | 'labels', mode: IDBTransactionMode): Promise<IDBObjectStore> {
  const db = await open();
  return db.transaction(name, mode).objectStore(name);
}

export async function saveRun(run: SavedRun): Promise<void> {
  await request((await store('runs', 'readwrite')).put(run));
}

export async function getRun(id: string): Promise<SavedRun | undefined> {
  return request((await store('runs', 'readonly')).get(id)) as Promise<SavedRun | undefined>;
}

export async function deleteRun(id: string): Promise<void> {
  await request((await store('runs', 'readwrite')).delete(id));
}

/** Every saved run, newest first, without metrics, samples and adapter bytes. */
export async function listRuns(): Promise<RunSummary[]> {
  const runs = (await request((await store('runs', 'readonly')).getAll())) as SavedRun[];
  return runs
    .map(({ series, adapters: _adapters, samples: _samples, evalItems: _evalItems, ...rest }) => ({
      ...rest,
      steps: Object.fromEntries(Object.entries(series).map(([run, rows]) => [run, rows.length])),
    }))
    .sort((a, b) => b.createdAt - a.createdAt);
}

export async function saveLabel(label: HumanPairLabel): Promise<void> {
  await request((await store('labels', 'readwrite')).put(label));
}

export async function deleteLabel(key: string): Promise<void> {
  await request((await store('labels', 'readwrite')).delete(key));
}

export async function loadLabels(): Promise<HumanPairLabel[]> {
  const all = (await request((await store('labels', 'readonly')).getAll())) as HumanPairLabel[];
  return all.sort((a, b) => a.answeredAt - b.answeredAt);
}

export async function clearLabels(): Promise<void> {
  await request((await store('labels', 'readwrite')).clear());
}
