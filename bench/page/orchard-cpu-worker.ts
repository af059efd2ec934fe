/**
 * Module worker of the benchmark page that runs Orchard's CPU backend row, as the lab trains: in a
 * Web Worker, where the backend may block in Atomics.wait and so runs its kernels on every core
 * (nested helper workers on a shared WebAssembly memory; the page is cross-origin isolated). The
 * page's main thread could only run it on one thread. Same workload and step as every other row
 * (makeWorkload, runOrchard); one request per worker, answered with one message.
 */
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { CASES, type CaseId, type StepCounts } from '../cases.ts';
import { runOrchard } from '../orchard-step.ts';
import type { RunResult } from '../result.ts';
import { makeWorkload } from '../workload.ts';

export interface CpuRowRequest {
  caseId: CaseId;
  steps: StepCounts;
  rowLogps: boolean;
}

export type CpuRowReply = { result: RunResult } | { error: string };

async function runRow({ caseId, steps, rowLogps }: CpuRowRequest): Promise<RunResult> {
  const backend = new CpuBackend();
  // Start timing with every helper thread up, so warm-up steps do not run on fewer threads.
  await backend.whenThreadsReady();
  const result = await runOrchard('orchard-cpu', 'browser', backend, makeWorkload(CASES[caseId]), steps, { rowLogps });
  result.notes.push('run in a Web Worker, as the lab trains');
  if (backend.threadsNote) result.notes.push(`fewer threads: ${backend.threadsNote}`);
  return result;
}

self.onmessage = (e: MessageEvent<CpuRowRequest>) => {
  runRow(e.data).then(
    (result) => self.postMessage({ result } satisfies CpuRowReply),
    (err: unknown) =>
      self.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies CpuRowReply),
  );
};
