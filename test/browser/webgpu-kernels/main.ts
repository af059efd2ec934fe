/** Page script of the browser kernel sweep: starts the module worker and exposes its report to the test. */
import { exposeWorkerReport } from '../worker-report.ts';
import type { SweepReport } from './worker.ts';

exposeWorkerReport(
  new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  (error): SweepReport => ({ adapter: 'unknown', configs: [], error }),
);
