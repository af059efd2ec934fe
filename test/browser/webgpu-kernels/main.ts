/** Page script of the browser kernel sweep: starts the module worker and exposes its report to the test. */
import type { SweepReport } from './worker.ts';

declare global {
  interface Window {
    sweepReport?: SweepReport;
  }
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (e: MessageEvent<SweepReport>) => {
  window.sweepReport = e.data;
  document.body.dataset.done = 'true';
};
worker.onerror = (e) => {
  window.sweepReport = { adapter: 'unknown', configs: [], error: `worker error: ${e.message}` };
  document.body.dataset.done = 'true';
};
