/**
 * TF.js's side of the benchmark: selects a TF.js backend, builds the workload's step
 * (gpt2-step.ts), runs warm-up and timed steps, then one profiled step for kernel count and peak
 * tensor bytes. The backends themselves are registered by whoever imports this (the page).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EngineId, StepCounts } from '../cases.ts';
import { CHECK_TOLERANCE, type Host, type RunResult, timedRun } from '../result.ts';
import { timePipelined } from '../timing.ts';
import type { Workload } from '../workload.ts';
import { createTfjsStep } from './gpt2-step.ts';

const BACKEND_OF: Partial<Record<EngineId, string>> = {
  'tfjs-webgpu': 'webgpu',
  'tfjs-wasm': 'wasm',
  'tfjs-cpu': 'cpu',
};

let runs = 0;

/** Orchard's numbers on the same workload, which TF.js must reproduce before it is timed. */
export interface Reference {
  engine: EngineId;
  /** Loss of step 1 (at the initial weights), step 2 (after one update)... */
  losses: number[];
  rowLogps: number[];
}

export async function runTfjs(
  engine: EngineId,
  host: Host,
  w: Workload,
  steps: StepCounts,
  reference: Reference | null,
): Promise<RunResult> {
  const backend = BACKEND_OF[engine];
  if (!backend) throw new Error(`runTfjs: ${engine} is not a TF.js engine`);
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend "${backend}" failed to initialize`);
  await tf.ready();
  const step = createTfjsStep(w, `bench${runs++}`);
  try {
    const rowLogps = await step.rowLogps();
    const losses: number[] = [];
    for (let i = 0; i < steps.warmup; i++) losses.push(await step.step());
    if (reference) checkAgainst(reference, rowLogps, losses);
    const timed = await timePipelined(steps.timed, () => step.step());
    losses.push(...timed.losses);
    const times = timed.intervals;
    const profile = await step.profileStep();
    const notes = ['kernels and peak bytes from one tf.profile step'];
    return {
      ...timedRun(engine, host, w.bench, steps, times, losses, rowLogps),
      peakBytes: profile.peakBytes,
      peakSource: 'tf.profile peakBytes (live tensor bytes, variables included)',
      analyticBytes: null,
      counters: {
        dispatches: profile.kernels,
        submissions: Number.NaN,
        programSubmissions: Number.NaN,
        reads: 1,
        bytesRead: 4,
        bytesWritten: Number.NaN,
        blockingReadbacks: Number.NaN,
      },
      notes,
    };
  } finally {
    step.dispose();
  }
}

/** Throws (so the run is reported, not timed) when TF.js computes a different step from Orchard's. */
function checkAgainst(ref: Reference, rowLogps: number[], losses: number[]): void {
  const worst = (a: number[], b: number[]) =>
    Math.max(0, ...a.slice(0, b.length).map((x, i) => Math.abs(x - b[i]) / Math.max(Math.abs(b[i]), 1e-12)));
  const logp = worst(rowLogps, ref.rowLogps);
  const loss = worst(losses, ref.losses);
  if (!(logp <= CHECK_TOLERANCE && loss <= CHECK_TOLERANCE)) {
    throw new Error(
      `TF.js step does not match ${ref.engine}: row log-probs differ by ${logp.toExponential(1)}, losses by ${loss.toExponential(1)} (relative; tolerance ${CHECK_TOLERANCE}); not timed`,
    );
  }
}
