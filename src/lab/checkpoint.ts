/**
 * Checkpoints of the run pipeline, kept in a store the caller supplies (the worker: IndexedDB; the
 * CLI: a folder; tests: memory). A training checkpoint holds everything a run needs to continue
 * exactly as if it had never stopped: the trainable params, AdamW's moments m and v, the number of
 * optimizer steps taken, the data cursor (epoch and position; the order of an epoch is a pure
 * function of the seed and the epoch number, so the cursor is the whole RNG state of training), and
 * the metrics logged so far. A finished run is saved the same way with `done: true` and no moments.
 *
 * Format: one safetensors file (tensors "param/NAME", "m/NAME", "v/NAME", flattened) whose
 * metadata carries the rest as JSON, so a checkpoint is readable by any safetensors tool.
 * Every checkpoint records the fingerprint of the spec it was made for; a checkpoint of another
 * spec is never resumed.
 */
import { readSafetensors, writeSafetensors } from '../engine/safetensors.ts';
import type { MetricsEvent } from './events.ts';
import type { ExperimentSpec } from './spec.ts';

export interface CheckpointStore {
  save(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes last saved under `key`, or null. */
  load(key: string): Promise<Uint8Array | null>;
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

export interface DataCursor {
  epoch: number;
  /** Pairs of this epoch's order already used. */
  offset: number;
}

export interface TrainCheckpoint {
  specHash: string;
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
const VERSION = '1';

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
      specHash: c.specHash,
      run: c.run,
      step: c.step,
      cursor: c.cursor,
      done: c.done,
      metrics: c.metrics,
    }),
  });
}

export function decodeCheckpoint(bytes: Uint8Array, where = 'checkpoint'): TrainCheckpoint {
  const { tensors, metadata } = readSafetensors(bytes, where);
  if (metadata.format !== FORMAT || metadata.version !== VERSION || typeof metadata.state !== 'string') {
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

/** JSON bytes with the spec fingerprint, for stages whose result is plain data (the labelled pairs). */
export function encodeJsonCheckpoint(specHash: string, value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format: FORMAT, specHash, value }));
}

/** The value, or null when the bytes belong to another spec. */
export function decodeJsonCheckpoint<T>(bytes: Uint8Array, specHash: string): T | null {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { format?: string; specHash?: string; value: T };
  if (parsed.format !== FORMAT) throw new Error('not an Orchard checkpoint');
  return parsed.specHash === specHash ? parsed.value : null;
}

/**
 * A fingerprint of everything that determines training: the spec without its name and eval
 * settings, plus the backend that runs it (numbers differ across backends). 64 bits of FNV-1a,
 * as hex.
 */
export function specFingerprint(spec: ExperimentSpec, backend: string): string {
  const { name: _name, eval: _eval, ...rest } = spec;
  const text = `${stableJson(rest)}|${backend}`;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
