/**
 * The threaded CPU backend in a browser: a small page (test/browser/cpu-threads/) is bundled with
 * Vite and served cross-origin isolated (COOP + COEP, as the app is) on 127.0.0.1; its module
 * worker trains a small GPT-2 3 DPO steps at 1 thread and at 2 threads, whose helpers are nested
 * Web Workers running the kernels' source text (minified by the production build) on a shared
 * WebAssembly memory, with standard and with fused attention. Losses and weights must be identical,
 * and the pool must have run both matmuls and the other kernels on 2 threads.
 */
import { expect, it } from 'vitest';
import type { ThreadsReport } from './cpu-threads/worker.ts';
import { serveWorkerPage } from './worker-page.ts';

const run = serveWorkerPage<ThreadsReport>('cpu-threads', {
  isolated: true,
  doneTimeoutMs: 180_000,
  hookTimeoutMs: 240_000,
});

it('runs the CPU backend on 2 threads in a worker, bit-identical to 1 thread', () => {
  expect(run.report.error).toBeUndefined();
  expect(run.pageErrors).toEqual([]);
  expect(run.report.threadsNote).toBeNull();
  expect(run.report.threads).toBe(2);
  expect(run.report.pool?.mostThreads).toBe(2);
  expect(run.report.pool?.threadedJobs).toBeGreaterThan(0);
  expect(run.report.pool?.rangeJobs).toBeGreaterThan(0);
  expect(run.report.twoThreads.losses).toEqual(run.report.oneThread.losses);
  expect(run.report.oneThread.losses[2]).not.toEqual(run.report.oneThread.losses[0]);
  expect(run.report.twoThreads.weights).toEqual(run.report.oneThread.weights);
  const fused = run.report.fused;
  expect(fused.twoThreads.losses).toEqual(fused.oneThread.losses);
  expect(fused.twoThreads.weights).toEqual(fused.oneThread.weights);
  // A different kernel, so not the same bits, but the same step to float rounding.
  for (const [i, loss] of fused.oneThread.losses.entries()) {
    expect(Math.abs(loss - run.report.oneThread.losses[i])).toBeLessThan(1e-4);
  }
});
