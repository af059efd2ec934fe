/**
 * Checkpoints of the run pipeline. Bytes live in a store the caller supplies (the worker:
 * IndexedDB; the CLI: a folder; tests: memory); `Checkpoints` is the typed view the pipeline and the
 * page use, so no one else builds keys or decodes bytes.
 *
 * A training checkpoint holds everything a run needs to continue exactly as if it had never
 * stopped: the trainable params, AdamW's moments m and v, the number of optimizer steps taken, the
 * data cursor (epoch and position; the order of an epoch is a pure function of the seed and the
 * epoch number, so the cursor is the whole RNG state of training), and the metrics logged so far. A
 * finished run is saved the same way with `done: true` and no moments.
 *
 * Format: one safetensors file (tensors "param/NAME", "m/NAME", "v/NAME", flattened) whose metadata
 * carries the rest as JSON, so a checkpoint is readable by any safetensors tool. Every checkpoint
 * records the fingerprint of what it was made for (plan.ts: the run's own, so other runs never
 * matter) and the backend that made it; a checkpoint of another fingerprint is never resumed, one of
 * another backend only when the caller allows it (after a GPU device loss, to go on on the CPU).
 */

import { readSafetensors, writeSafetensors } from '../engine/index.ts';
import type { MetricsEvent } from './events.ts';
import type { PreparedData } from './pipeline/data-types.ts';
import { specFingerprint } from './plan.ts';
import type { ExperimentSpec } from './spec.ts';

export interface CheckpointStore {
  save(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes last saved under `key`, or null. */
  load(key: string): Promise<Uint8Array | null>;
  /** Where `key` lives and how to get rid of a bad copy, for messages (default: the key and "start over"). */
  describe?(key: string): { where: string; fix: string };
}

export class MemoryCheckpointStore implements CheckpointStore {
  readonly entries = new Map<string, Uint8Array>();
  async save(key: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(key, bytes.slice());
  }
  async load(key: string): Promise<Uint8Array | null> {
    return this.entries.get(key)?.slice() ?? null;
  }
}

/** The namespace of an experiment's checkpoints (browser: IndexedDB entries and the training tab's lock). */
export function checkpointNamespace(spec: ExperimentSpec): string {
  return specFingerprint(spec);
}

/** The store keys, in one place. */
export const CHECKPOINT_KEYS = {
  data: 'data',
  sft: 'sft',
  run: (label: string) => `run:${label}`,
} as const;

export interface DataCursor {
  epoch: number;
  /** Pairs of this epoch's order already used. */
  offset: number;
}

export interface TrainCheckpoint {
  /** The fingerprint of the run (or stage) it was made for. */
  fingerprint: string;
  /** The backend that made it ('cpu', 'webgpu'). */
  backend: string;
  run: string;
  /** Optimizer steps taken. */
  step: number;
  cursor: DataCursor;
  done: boolean;
  params: Map<string, Float32Array>;
  /** AdamW moments (absent when done). */
  m: Map<string, Float32Array> | null;
  v: Map<string, Float32Array> | null;
  metrics: MetricsEvent[];
}

const FORMAT = 'orchard-checkpoint';
const VERSION = '2';

export function encodeCheckpoint(c: TrainCheckpoint): Uint8Array {
  const tensors: [string, { shape: number[]; data: Float32Array }][] = [];
  const add = (prefix: string, m: Map<string, Float32Array> | null) => {
    if (!m) return;
    for (const name of [...m.keys()].sort()) {
      const data = m.get(name) as Float32Array;
      tensors.push([`${prefix}/${name}`, { shape: [data.length], data }]);
    }
  };
  add('param', c.params);
  add('m', c.m);
  add('v', c.v);
  return writeSafetensors(tensors, {
    format: FORMAT,
    version: VERSION,
    state: JSON.stringify({
      fingerprint: c.fingerprint,
      backend: c.backend,
      run: c.run,
      step: c.step,
      cursor: c.cursor,
      done: c.done,
      metrics: c.metrics,
    }),
  });
}

/** Throws when the bytes are not a complete checkpoint of this version. */
export function decodeCheckpoint(bytes: Uint8Array, where = 'checkpoint'): TrainCheckpoint {
  const { tensors, metadata } = readSafetensors(bytes, where);
  if (metadata.format === FORMAT && metadata.version !== VERSION) throw new OtherVersionError(metadata.version);
  if (metadata.format !== FORMAT || typeof metadata.state !== 'string') {
    throw new Error(`${where}: not an Orchard checkpoint (format ${FORMAT} v${VERSION})`);
  }
  const state = JSON.parse(metadata.state) as Omit<TrainCheckpoint, 'params' | 'm' | 'v'>;
  const maps = {
    param: new Map<string, Float32Array>(),
    m: new Map<string, Float32Array>(),
    v: new Map<string, Float32Array>(),
  };
  for (const [key, t] of tensors) {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash) as keyof typeof maps;
    if (!(kind in maps)) throw new Error(`${where}: unexpected tensor "${key}"`);
    maps[kind].set(key.slice(slash + 1), t.data);
  }
  return {
    ...state,
    params: maps.param,
    m: state.done ? null : maps.m,
    v: state.done ? null : maps.v,
  };
}

interface JsonCheckpoint<T> {
  format: string;
  version: string;
  fingerprint: string;
  backend: string;
  value: T;
}

/** JSON bytes with the fingerprint, for stages whose result is plain data (the labelled pairs). */
export function encodeJsonCheckpoint(fingerprint: string, backend: string, value: unknown): Uint8Array {
  const c: JsonCheckpoint<unknown> = { format: FORMAT, version: VERSION, fingerprint, backend, value };
  return new TextEncoder().encode(JSON.stringify(c));
}

export function decodeJsonCheckpoint<T>(bytes: Uint8Array): JsonCheckpoint<T> {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as JsonCheckpoint<T>;
  if (parsed?.format === FORMAT && parsed.version !== VERSION) throw new OtherVersionError(parsed.version);
  if (parsed?.format !== FORMAT) {
    throw new Error(`not an Orchard checkpoint (format ${FORMAT} v${VERSION})`);
  }
  return parsed;
}

/** A checkpoint written by another version of Orchard: not an error, just nothing to resume. */
export class OtherVersionError extends Error {
  override name = 'OtherVersionError';
  constructor(version: unknown) {
    super(`a checkpoint of format version ${String(version)} (this Orchard writes v${VERSION})`);
  }
}

/** A checkpoint that cannot be read: truncated, corrupt, or of another Orchard version. */
export class CorruptCheckpointError extends Error {
  override name = 'CorruptCheckpointError';
  constructor(
    readonly where: string,
    cause: string,
    fix: string,
  ) {
    super(`the checkpoint ${where} cannot be read (${cause}): it is truncated or corrupt; ${fix}`);
  }
}

export interface CheckpointsOptions {
  /** The backend the pipeline runs on; checkpoints record it. */
  backend: string;
  /** Backends whose checkpoints may be continued here too (after a device loss: ['webgpu']). */
  adoptFrom?: readonly string[];
  /** Told when a checkpoint is skipped because it was made for something else. */
  warn?: (message: string) => void;
}

/** Where a run stands in the store, for the page's "interrupted at step N" (no fingerprint check). */
export interface RunProgress {
  step: number;
  done: boolean;
}

/** The typed view of a checkpoint store. */
export class Checkpoints {
  constructor(
    readonly store: CheckpointStore,
    private readonly o: CheckpointsOptions,
  ) {}

  async data(fingerprint: string): Promise<PreparedData | null> {
    const bytes = await this.store.load(CHECKPOINT_KEYS.data);
    if (!bytes) return null;
    const c = this.decode(CHECKPOINT_KEYS.data, () => decodeJsonCheckpoint<PreparedData>(bytes));
    return c && this.fits(c, fingerprint, 'the labelled pairs') ? c.value : null;
  }

  saveData(fingerprint: string, data: PreparedData): Promise<void> {
    return this.store.save(CHECKPOINT_KEYS.data, encodeJsonCheckpoint(fingerprint, this.o.backend, data));
  }

  /** The trained SFT params, when a finished SFT stage of this fingerprint was saved. */
  async sft(fingerprint: string): Promise<Map<string, Float32Array> | null> {
    const c = await this.train(CHECKPOINT_KEYS.sft, fingerprint, 'SFT');
    return c?.done ? c.params : null;
  }

  saveSft(fingerprint: string, params: Map<string, Float32Array>, steps: number): Promise<void> {
    return this.saveTrain(CHECKPOINT_KEYS.sft, {
      fingerprint,
      run: 'sft',
      step: steps,
      cursor: { epoch: 0, offset: 0 },
      done: true,
      params,
      m: null,
      v: null,
      metrics: [],
    });
  }

  /** The run's checkpoint, when one of this fingerprint (and an acceptable backend) was saved. */
  run(label: string, fingerprint: string): Promise<TrainCheckpoint | null> {
    return this.train(CHECKPOINT_KEYS.run(label), fingerprint, label);
  }

  saveRun(c: Omit<TrainCheckpoint, 'backend'>): Promise<void> {
    return this.saveTrain(CHECKPOINT_KEYS.run(c.run), c);
  }

  /** How far a run got, whatever it was made for (null: nothing saved). */
  async runProgress(label: string): Promise<RunProgress | null> {
    const key = CHECKPOINT_KEYS.run(label);
    const bytes = await this.store.load(key);
    if (!bytes) return null;
    const c = this.decode(key, () => decodeCheckpoint(bytes, key));
    return c && { step: c.step, done: c.done };
  }

  private async train(key: string, fingerprint: string, what: string): Promise<TrainCheckpoint | null> {
    const bytes = await this.store.load(key);
    if (!bytes) return null;
    const c = this.decode(key, () => decodeCheckpoint(bytes, key));
    return c && this.fits(c, fingerprint, what) ? c : null;
  }

  private saveTrain(key: string, c: Omit<TrainCheckpoint, 'backend'>): Promise<void> {
    return this.store.save(key, encodeCheckpoint({ ...c, backend: this.o.backend }));
  }

  private fits(c: { fingerprint: string; backend: string }, fingerprint: string, what: string): boolean {
    if (c.fingerprint !== fingerprint) {
      this.o.warn?.(`${what}: ignoring a checkpoint made for other settings`);
      return false;
    }
    if (c.backend !== this.o.backend && !this.o.adoptFrom?.includes(c.backend)) {
      this.o.warn?.(`${what}: ignoring a checkpoint made on ${c.backend} (this run is on ${this.o.backend})`);
      return false;
    }
    return true;
  }

  /** The decoded checkpoint; null (with a warning) for one of another Orchard version. */
  private decode<T>(key: string, read: () => T): T | null {
    try {
      return read();
    } catch (err) {
      if (err instanceof OtherVersionError) {
        this.o.warn?.(`${key}: ignoring ${err.message}`);
        return null;
      }
      const d = this.store.describe?.(key) ?? {
        where: `"${key}"`,
        fix: 'discard the saved checkpoints and start again',
      };
      throw new CorruptCheckpointError(d.where, err instanceof Error ? err.message : String(err), d.fix);
    }
  }
}
