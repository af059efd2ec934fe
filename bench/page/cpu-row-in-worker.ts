/**
 * Page side of the Orchard CPU row: starts bench/page/orchard-cpu-worker.ts for one run and
 * returns its RunResult. Anything that goes wrong (the worker failing to load, an uncaught error,
 * a reply that cannot be read, a run past its deadline) rejects with a message naming the worker,
 * which the bench records as an error row, and the worker (with its helper threads) is stopped.
 */
import type { CaseId, StepCounts } from '../cases.ts';
import type { RunResult } from '../result.ts';
import type { CpuRowReply, CpuRowRequest } from './orchard-cpu-worker.ts';

export function runOrchardCpuInWorker(
  caseId: CaseId,
  steps: StepCounts,
  rowLogps: boolean,
  timeoutMs: number,
): Promise<RunResult> {
  const worker = new Worker(new URL('./orchard-cpu-worker.ts', import.meta.url), { type: 'module' });
  const where = 'Orchard cpu in its Web Worker';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reply = new Promise<RunResult>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<CpuRowReply>) =>
      'result' in e.data ? resolve(e.data.result) : reject(new Error(`${where}: ${e.data.error}`));
    // A module that fails to load gives an error event without a message.
    worker.onerror = (e) => reject(new Error(`${where}: ${e.message || 'the worker script failed to load'}`));
    worker.onmessageerror = () => reject(new Error(`${where}: its reply could not be deserialized`));
    timer = setTimeout(
      () => reject(new Error(`${where} took more than ${Math.round(timeoutMs / 1000)} s; stopped it`)),
      timeoutMs,
    );
  });
  worker.postMessage({ caseId, steps, rowLogps } satisfies CpuRowRequest);
  return reply.finally(() => {
    clearTimeout(timer);
    worker.terminate();
  });
}
