/** Page script of the browser CPU-threads check: starts the module worker and exposes its report to the test. */
import { exposeWorkerReport } from '../worker-report.ts';
import type { ThreadsReport } from './worker.ts';

exposeWorkerReport(
  new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  (error) => ({ error }) as ThreadsReport,
);
