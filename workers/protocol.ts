/**
 * The typed message protocol between the page and the training worker (workers/orchard.worker.ts).
 *
 * Every message is a plain, structured-cloneable object with a `type` discriminant and the protocol
 * version `v`. Both sides drop (and report) messages with another version, so a stale cached worker
 * can never be half-understood by a newer page. Requests carry an `id` that the worker echoes in its
 * reply. Later steps add variants here (start, pause, resume, stop; metrics, checkpoint, done) and
 * bump PROTOCOL_VERSION only when an existing variant changes shape.
 */
import type { ProbeReport } from '../src/engine/gpu-probe/probe.ts';

export const PROTOCOL_VERSION = 1;
export type ProtocolVersion = typeof PROTOCOL_VERSION;

/** Page → worker. */
export type ToWorker =
  /** Find the training backend: WebGPU adapter, device, limits, features, and a matmul self-test. */
  { v: ProtocolVersion; type: 'probe'; id: number };

/** Worker → page. */
export type FromWorker =
  /** Sent once when the worker's module has loaded and it listens for requests. */
  | { v: ProtocolVersion; type: 'ready' }
  | { v: ProtocolVersion; type: 'probe-result'; id: number; report: ProbeReport }
  /** A request failed, or (id null) something failed outside any request. */
  | { v: ProtocolVersion; type: 'error'; id: number | null; message: string };

export type ToWorkerType = ToWorker['type'];
export type FromWorkerType = FromWorker['type'];

const TO_WORKER_TYPES: ReadonlySet<string> = new Set<ToWorkerType>(['probe']);
const FROM_WORKER_TYPES: ReadonlySet<string> = new Set<FromWorkerType>(['ready', 'probe-result', 'error']);

/**
 * Why `data` is not a current-version message of one of `types`, or null when it is. Only the
 * envelope is checked: both ends are built from this file, so payload shapes follow the types.
 */
function envelopeProblem(data: unknown, types: ReadonlySet<string>): string | null {
  if (typeof data !== 'object' || data === null) return `expected a message object, got ${typeof data}`;
  const { v, type } = data as { v?: unknown; type?: unknown };
  if (v !== PROTOCOL_VERSION) {
    return `protocol version ${String(v)} does not match ${PROTOCOL_VERSION} (reload the page to update the worker)`;
  }
  if (typeof type !== 'string' || !types.has(type)) return `unknown message type ${JSON.stringify(type)}`;
  return null;
}

export function toWorkerProblem(data: unknown): string | null {
  return envelopeProblem(data, TO_WORKER_TYPES);
}

export function fromWorkerProblem(data: unknown): string | null {
  return envelopeProblem(data, FROM_WORKER_TYPES);
}

/** Omit `v` when composing a message; `withVersion` stamps it. */
type Unversioned<M> = M extends unknown ? Omit<M, 'v'> : never;

export function withVersion<M extends ToWorker | FromWorker>(msg: Unversioned<M>): M {
  return { ...msg, v: PROTOCOL_VERSION } as M;
}
