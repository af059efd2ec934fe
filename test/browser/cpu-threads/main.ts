/** Page script of the browser CPU-threads check: starts the module worker and exposes its report to the test. */
import type { ThreadsReport } from './worker.ts';

declare global {
  interface Window {
    threadsReport?: ThreadsReport;
  }
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (e: MessageEvent<ThreadsReport>) => {
  window.threadsReport = e.data;
  document.body.dataset.done = 'true';
};
worker.onerror = (e) => {
  window.threadsReport = { error: `worker error: ${e.message}` } as ThreadsReport;
  document.body.dataset.done = 'true';
};
