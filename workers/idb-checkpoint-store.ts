/**
 * Checkpoints kept in IndexedDB, so a run survives a page reload: the worker saves into it while
 * training, and the page reads it after a reload to offer Resume (src/state/interrupted-run.ts).
 *
 * One database of its own ("orchard-checkpoints"), so the runs database's version never moves for
 * it. Entries are keyed [namespace, key], the namespace being the experiment's fingerprint
 * (checkpointNamespace in src/lab/checkpoint.ts), so two experiments never read each other's
 * checkpoints.
 *
 * When IndexedDB is missing or refuses a write (quota, private mode), the store keeps working in
 * memory and calls `warn` once: the run goes on, it just cannot survive a reload.
 */
import { type CheckpointStore, MemoryCheckpointStore } from '../src/lab/checkpoint.ts';

export const CHECKPOINT_DB = 'orchard-checkpoints';
const OBJECT_STORE = 'checkpoints';
const DB_VERSION = 1;

export class IdbCheckpointStore implements CheckpointStore {
  private readonly memory = new MemoryCheckpointStore();
  private db: Promise<IDBDatabase> | null;
  private warned = false;

  constructor(
    readonly namespace: string,
    private readonly warn: (message: string) => void,
    idb: IDBFactory | undefined = globalThis.indexedDB,
  ) {
    this.db = idb ? openDatabase(idb) : null;
    if (!idb) this.fallBack('IndexedDB is not available here');
    // An open that fails is handled where it is awaited; this keeps it from being "unhandled" meanwhile.
    this.db?.catch(() => {});
  }

  describe(key: string): { where: string; fix: string } {
    return {
      where: `"${key}" of experiment ${this.namespace} (IndexedDB ${CHECKPOINT_DB})`,
      fix: 'discard the interrupted run and start it again',
    };
  }

  /** Whether checkpoints are only in memory (they will not survive a reload). */
  get inMemory(): boolean {
    return this.db === null;
  }

  async save(key: string, bytes: Uint8Array): Promise<void> {
    const db = await this.database();
    if (db) {
      try {
        // A copy of exactly the view's bytes (the view may sit in a larger buffer).
        await write(db, (s) => s.put(bytes.slice().buffer, [this.namespace, key]));
        return;
      } catch (err) {
        this.fallBack(`IndexedDB refused to save a checkpoint (${describe(err)})`);
      }
    }
    await this.memory.save(key, bytes);
  }

  async load(key: string): Promise<Uint8Array | null> {
    // Memory first: after a fall-back it holds the newest copy.
    const kept = await this.memory.load(key);
    if (kept) return kept;
    const db = await this.database();
    if (!db) return null;
    const value = await read<unknown>(db, (s) => s.get([this.namespace, key]));
    return value instanceof ArrayBuffer ? new Uint8Array(value) : null;
  }

  /** The keys saved under this namespace (in IndexedDB and in memory). */
  async keys(): Promise<string[]> {
    const out = new Set(this.memory.entries.keys());
    const db = await this.database();
    if (db) {
      const keys = await read<IDBValidKey[]>(db, (s) => s.getAllKeys(namespaceRange(this.namespace)));
      for (const k of keys) out.add((k as [string, string])[1]);
    }
    return [...out].sort();
  }

  /** Deletes every checkpoint of this namespace (a run that ended, or one the user discarded). */
  async clear(): Promise<void> {
    this.memory.entries.clear();
    const db = await this.database();
    if (db) await write(db, (s) => s.delete(namespaceRange(this.namespace)));
  }

  close(): void {
    void this.db?.then((db) => db.close()).catch(() => {});
  }

  private async database(): Promise<IDBDatabase | null> {
    if (!this.db) return null;
    try {
      return await this.db;
    } catch (err) {
      this.fallBack(`IndexedDB could not be opened (${describe(err)})`);
      return null;
    }
  }

  private fallBack(reason: string): void {
    this.db = null;
    if (this.warned) return;
    this.warned = true;
    this.warn(`${reason}: checkpoints are kept in memory, so this run cannot be resumed after a reload`);
  }
}

/** Every namespace that has checkpoints in this browser ([] when IndexedDB is unavailable). */
export async function checkpointNamespaces(idb: IDBFactory | undefined = globalThis.indexedDB): Promise<string[]> {
  if (!idb) return [];
  const db = await openDatabase(idb);
  try {
    const keys = await read<IDBValidKey[]>(db, (s) => s.getAllKeys());
    return [...new Set(keys.map((k) => (k as [string, string])[0]))].sort();
  } finally {
    db.close();
  }
}

function namespaceRange(namespace: string): IDBKeyRange {
  // Arrays sort after strings in IndexedDB, so [ns, []] is above every [ns, 'key'].
  return IDBKeyRange.bound([namespace], [namespace, []]);
}

function openDatabase(idb: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = idb.open(CHECKPOINT_DB, DB_VERSION);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(OBJECT_STORE)) req.result.createObjectStore(OBJECT_STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`opening ${CHECKPOINT_DB} failed`));
    req.onblocked = () => reject(new Error(`${CHECKPOINT_DB} is blocked by another tab with an older version`));
  });
}

function write(db: IDBDatabase, op: (s: IDBObjectStore) => IDBRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(OBJECT_STORE, 'readwrite');
    op(tx.objectStore(OBJECT_STORE));
    tx.oncomplete = () => resolve();
    // Quota errors abort the transaction rather than failing the request.
    tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('the transaction failed'));
  });
}

function read<T>(db: IDBDatabase, op: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = op(db.transaction(OBJECT_STORE, 'readonly').objectStore(OBJECT_STORE));
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error ?? new Error('the read failed'));
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
