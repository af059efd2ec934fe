/**
 * Page side of a worker page (test/browser/<name>/main.ts): starts the page's module worker and
 * puts the report it posts (or what to report when the worker fails) on window.workerReport, then
 * marks the body done, for test/browser/worker-page.ts to read.
 */
declare global {
  interface Window {
    workerReport?: unknown;
  }
}

export function exposeWorkerReport<R>(worker: Worker, onWorkerError: (message: string) => R): void {
  worker.onmessage = (e: MessageEvent<R>) => {
    window.workerReport = e.data;
    document.body.dataset.done = 'true';
  };
  worker.onerror = (e) => {
    window.workerReport = onWorkerError(`worker error: ${e.message}`);
    document.body.dataset.done = 'true';
  };
}
