/**
 * The typed message protocol between the page and the training worker (workers/orchard.worker.ts).
 *
 * Every message is a plain, structured-cloneable object with a `type` discriminant and the protocol
 * version `v`. Both sides drop (and report) messages with another version, so a stale cached worker
 * can never be half-understood by a newer page. Requests carry an `id` that the worker echoes in its
 * reply. New variants are additive; PROTOCOL_VERSION changes only when an existing variant changes shape.
 *
 * A training run (one experiment spec, usually a DPO run and a JPO run) is named by a `runId` the
 * page picks. Its life, as the page sees it:
 *
 *   start ──► run-started (backend) ──► run-events* ──► run-adapters? ──► run-finished
 *                  pause / resume ──► run-state            device lost ──► run-backend (now CPU)
 *
 * When the spec's pairing judge is "human", the worker asks the person: `judge-pending` lists the
 * comparisons waiting (sent whenever that list changes) and the page answers each with
 * `judge-answer`. A person is asked once per pair (the swapped order reuses the answer, mirrored).
 * When `eval.judge` is "human" the person also judges the evaluation, blind: the same messages with
 * purpose "evaluation", whose sides are in a seeded random order and never name the run.
 *
 * `run-events` carries the pipeline's own events (src/lab/events.ts: progress, metrics, samples,
 * eval, log, and the state events stage, run-started, run-resumed, run-finished, run-failed; a
 * resumed run's earlier metrics come again, marked `restored`) in batches: the worker sends at most one batch per EVENT_BATCH_MS, so a run of
 * 10,000+ steps costs the page a few renders a second, not one per step (workers/batcher.ts).
 */
import type { Winner } from '../src/data/judges/types.ts';
import type { Candidate } from '../src/data/types.ts';
import type { ProbeReport } from '../src/engine/gpu-probe/probe.ts';
import type { PipelineEvent, Stage } from '../src/lab/events.ts';
import type { ExperimentSpec } from '../src/lab/spec.ts';
import type { TokenMarginsAnswer } from '../src/lab/token-margins-keeper.ts';

export const PROTOCOL_VERSION = 1;
export type ProtocolVersion = typeof PROTOCOL_VERSION;

/**
 * How often (at most) the worker posts a batch of pipeline events; stage changes, pauses and run
 * ends are sent at once (workers/batcher.ts). Each batch re-renders the page's charts, and on a
 * 2-core machine that rendering competes with the training threads: the default comparison with
 * backend auto in Chromium took 1.31x the CPU backend's time in Node at 150 ms, 1.13x at 500 ms and
 * 0.98x at 1000 ms (`npm run bench:auto-backend`). Once a second keeps the charts live.
 */
export const EVENT_BATCH_MS = 1000;

export type TrainingBackend = 'webgpu' | 'cpu';

/** What went wrong, where, and what the user can do about it. */
export interface RunErrorInfo {
  stage: Stage | null;
  /** The run being trained or evaluated ('DPO', 'JPO'), when the error belongs to one. */
  run: string | null;
  step: number | null;
  message: string;
  hint: string | null;
}

/** One comparison waiting for a person: which of two (instruction, response) candidates is better. */
/** The stage a person's comparison belongs to. */
export type JudgePurpose = 'pairing' | 'evaluation';

export interface PendingJudgement {
  id: string;
  a: Candidate;
  b: Candidate;
}

/** A trained LoRA adapter as PEFT's two files. */
export interface AdapterExport {
  run: string;
  config: string;
  safetensors: Uint8Array;
}

/** Page → worker. */
export type ToWorker =
  /** Find the training backend: WebGPU adapter, device, limits, features, and a matmul self-test. */
  | { v: ProtocolVersion; type: 'probe'; id: number }
  /** Train and evaluate every run of `spec` (same initial weights, data order and seed for all runs). */
  | { v: ProtocolVersion; type: 'start'; id: number; runId: string; spec: ExperimentSpec }
  | { v: ProtocolVersion; type: 'pause'; id: number; runId: string }
  | { v: ProtocolVersion; type: 'resume'; id: number; runId: string }
  /** Cancel: the run ends with outcome 'stopped' (metrics so far are kept). */
  | { v: ProtocolVersion; type: 'stop'; id: number; runId: string }
  /** A person's verdict on one pending comparison (judge-pending) of a run whose pairing judge is "human". */
  | { v: ProtocolVersion; type: 'judge-answer'; id: number; runId: string; comparison: string; winner: Winner }
  /**
   * Testing and teaching aid: destroy the WebGPU device the current run uses, as a driver reset
   * would. The run continues on the CPU from its last checkpoint (run-backend tells the page).
   */
  | { v: ProtocolVersion; type: 'debug-lose-device'; id: number }
  /**
   * The token-by-token margins of one training pair under `run`'s params at `step` (null: the last
   * kept), from the finished experiment `runId`'s snapshots; `pairIndex` indexes the training pairs
   * of run `pairFrom`. Answered by token-margins-result or by error with this id.
   */
  | {
      v: ProtocolVersion;
      type: 'token-margins';
      id: number;
      runId: string;
      run: string;
      pairFrom: string;
      pairIndex: number;
      step: number | null;
    };

/** Worker → page. */
export type FromWorker =
  /** Sent once when the worker's module has loaded and it listens for requests. */
  | { v: ProtocolVersion; type: 'ready' }
  | { v: ProtocolVersion; type: 'probe-result'; id: number; report: ProbeReport }
  /** The run began on `backend`; `note` says why it is not on WebGPU when it is not. */
  | { v: ProtocolVersion; type: 'run-started'; runId: string; backend: TrainingBackend; note: string | null }
  /** A batch of pipeline events, in the order the pipeline emitted them. */
  | { v: ProtocolVersion; type: 'run-events'; runId: string; events: PipelineEvent[] }
  | { v: ProtocolVersion; type: 'run-state'; runId: string; state: 'running' | 'paused' }
  /** The backend changed mid-run (the GPU device was lost): training resumed on the CPU. */
  | {
      v: ProtocolVersion;
      type: 'run-backend';
      runId: string;
      backend: TrainingBackend;
      reason: string;
      /** The run that was training and the step it resumed from (its last checkpoint), when known. */
      run: string | null;
      resumedFromStep: number | null;
    }
  /**
   * The comparisons of a human-judged run that wait for the person, oldest first (empty when none
   * waits); `answered` counts the person's answers so far, `total` the pairs pairing will ask about
   * (null before pairing has planned them).
   */
  | {
      v: ProtocolVersion;
      type: 'judge-pending';
      runId: string;
      pending: PendingJudgement[];
      answered: number;
      total: number | null;
      /** Which stage asks (absent: pairing, as before this field existed). */
      purpose?: JudgePurpose;
    }
  /** The trained adapters, sent once before run-finished when the runs trained LoRA adapters. */
  | { v: ProtocolVersion; type: 'run-adapters'; runId: string; adapters: AdapterExport[] }
  | {
      v: ProtocolVersion;
      type: 'run-finished';
      runId: string;
      outcome: 'done' | 'stopped' | 'failed';
      error: RunErrorInfo | null;
      elapsedMs: number;
    }
  /** The answer to a token-margins request (only ever sent when asked). */
  | { v: ProtocolVersion; type: 'token-margins-result'; id: number; runId: string; answer: TokenMarginsAnswer }
  /** A request failed, or (id null) something failed outside any request. */
  | { v: ProtocolVersion; type: 'error'; id: number | null; message: string };

export type ToWorkerType = ToWorker['type'];
export type FromWorkerType = FromWorker['type'];

const TO_WORKER_TYPES: ReadonlySet<string> = new Set<ToWorkerType>([
  'probe',
  'start',
  'pause',
  'resume',
  'stop',
  'judge-answer',
  'debug-lose-device',
  'token-margins',
]);
const FROM_WORKER_TYPES: ReadonlySet<string> = new Set<FromWorkerType>([
  'ready',
  'probe-result',
  'run-started',
  'run-events',
  'run-state',
  'run-backend',
  'judge-pending',
  'run-adapters',
  'run-finished',
  'token-margins-result',
  'error',
]);

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
export type Unversioned<M> = M extends unknown ? Omit<M, 'v'> : never;

export function withVersion<M extends ToWorker | FromWorker>(msg: Unversioned<M>): M {
  return { ...msg, v: PROTOCOL_VERSION } as M;
}

/**
 * Shrinks a batch before it is posted: of consecutive progress events for the same stage and run
 * only the last is worth drawing. Metrics, samples, evals and logs are all kept, in order.
 */
export function compactEvents(events: readonly PipelineEvent[]): PipelineEvent[] {
  const out: PipelineEvent[] = [];
  for (const e of events) {
    const prev = out[out.length - 1];
    if (e.kind === 'progress' && prev?.kind === 'progress' && prev.stage === e.stage && prev.run === e.run) {
      out[out.length - 1] = e;
    } else out.push(e);
  }
  return out;
}
