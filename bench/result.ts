/** What one engine's run of one bench case reports (plain JSON: it crosses from the page to Node). */
import { type BenchCase, type CaseId, type EngineId, type StepCounts, tokensPerStep } from './cases.ts';

/** Where a run happened: in the headless browser page, or in Node (Dawn / plain JS). */
export type Host = 'browser' | 'node';

export interface RunCounters {
  /** Kernel dispatches per optimizer step. */
  dispatches: number;
  /** Every queue submission per step (Orchard: the step program's, which also carries its readback copies). */
  submissions: number;
  /** Runs of the compiled step program per step (the backend's programRuns counter). */
  programSubmissions: number;
  /** Device-to-host reads per step (asynchronous mapAsync; awaited only after the next step is queued). */
  reads: number;
  bytesRead: number;
  bytesWritten: number;
  /** Steps per step whose submission had to wait for a readback (0: always queued while the previous loss was in flight). */
  blockingReadbacks: number;
}

export interface RunResult {
  engine: EngineId;
  host: Host;
  caseId: CaseId;
  /** Which setting of the engine, when a case runs it more than once (e.g. '1 thread', '2 threads'). */
  variant?: string;
  /** Set when the run did not happen; the reason is printed instead of numbers. */
  skipped?: string;
  /** Set when the run failed; the message is printed instead of numbers. */
  error?: string;
  warmupSteps: number;
  timedSteps: number;
  /**
   * Median ms per timed step, with one step in flight (bench/timing.ts): the time between
   * consecutive losses arriving back on the host.
   */
  msPerStep: number;
  msPerStepAll: number[];
  tokensPerSec: number;
  /** Loss of every step, warm-up included (step 1 is at the initial weights). */
  losses: number[];
  /** Summed log-prob of every row at the initial weights (chosen rows, then rejected). */
  rowLogps: number[];
  /** Peak device memory the engine's own allocator held (bytes); null where it has none. */
  peakBytes: number | null;
  /** How peakBytes was measured. */
  peakSource: string;
  /** Analytic total: weights + gradients + optimizer state + inputs + activations (bytes). */
  analyticBytes: number | null;
  counters: RunCounters | null;
  /** Anything worth a footnote (matmul variant, threads...). */
  notes: string[];
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface HostReport {
  host: Host;
  /** e.g. the browser's user agent, or `node v20.x (Dawn)`. */
  runtime: string;
  /** WebGPU adapter seen by this host; null when there is none. */
  adapter: AdapterInfo | null;
  results: RunResult[];
  /** Whether each TF.js engine matched Orchard's loss and log-probs before it was timed. */
  checks: LossCheck[];
}

export interface LossCheck {
  caseId: CaseId;
  engine: EngineId;
  /** The checked run's variant (e.g. '1 thread'), when it has one. */
  variant?: string;
  against: EngineId;
  /** Largest relative difference of the step-1 and step-2 losses. */
  lossRelDiff: number;
  /** Largest relative difference of the rows' summed log-probs at the initial weights. */
  logpRelDiff: number;
  ok: boolean;
}

/** The check's tolerance: the brief asks for 1e-3 relative; f32 kernels agree far better. */
export const CHECK_TOLERANCE = 1e-3;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The fields every engine's result shares: who ran which case, the step times and the losses. */
export function timedRun(
  engine: EngineId,
  host: Host,
  bench: BenchCase,
  steps: StepCounts,
  times: number[],
  losses: number[],
  rowLogps: number[],
): Pick<
  RunResult,
  | 'engine'
  | 'host'
  | 'caseId'
  | 'warmupSteps'
  | 'timedSteps'
  | 'msPerStep'
  | 'msPerStepAll'
  | 'tokensPerSec'
  | 'losses'
  | 'rowLogps'
> {
  const ms = median(times);
  return {
    engine,
    host,
    caseId: bench.id,
    warmupSteps: steps.warmup,
    timedSteps: steps.timed,
    msPerStep: ms,
    msPerStepAll: times,
    tokensPerSec: tokensPerStep(bench) / (ms / 1000),
    losses,
    rowLogps,
  };
}

/** A run with no numbers: the base of a skipped or failed run (`why` says which). */
export function emptyResult(
  engine: EngineId,
  host: Host,
  caseId: CaseId,
  why: { skipped?: string; error?: string },
): RunResult {
  return {
    engine,
    host,
    caseId,
    ...why,
    warmupSteps: 0,
    timedSteps: 0,
    msPerStep: Number.NaN,
    msPerStepAll: [],
    tokensPerSec: Number.NaN,
    losses: [],
    rowLogps: [],
    peakBytes: null,
    peakSource: '',
    analyticBytes: null,
    counters: null,
    notes: [],
  };
}
