/**
 * Module worker for the browser kernel sweep: creates the WebGPU backend from navigator.gpu (as
 * the app's training worker does), runs the sweep with the adapter's default kernel strategies
 * and with the GPU strategies forced, then the training runs (training.ts) with the adapter's
 * defaults, and posts the results.
 */

import type { WebGPUBackendOptions } from '../../../src/engine/backends/webgpu/index.ts';
import { createWebGPUBackend } from '../../../src/engine/backends/webgpu/index.ts';
import { runSweep, type SweepResult, sweepCases } from './cases.ts';
import { runTrainingCases, type TrainingCaseResult } from './training.ts';

export interface SweepReport {
  readonly adapter: string;
  readonly configs: {
    readonly label: string;
    readonly matmul: string;
    readonly rows: string;
    readonly results: SweepResult[];
  }[];
  /** CPU and WebGPU training runs, absent when the sweep failed before them. */
  readonly training?: TrainingCaseResult[];
  readonly error?: string;
}

const CONFIGS: { label: string; options: WebGPUBackendOptions }[] = [
  { label: 'adapter defaults', options: {} },
  { label: 'GPU kernels', options: { matmul: 'tiled', rows: 'workgroup' } },
];

async function sweep(): Promise<SweepReport> {
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { adapter: 'none', configs: [], error: 'navigator.gpu is missing in the worker' };
  const configs: SweepReport['configs'] = [];
  let adapter = '';
  for (const { label, options } of CONFIGS) {
    const backend = await createWebGPUBackend(gpu, options);
    adapter = `${backend.report?.adapter.vendor} ${backend.report?.adapter.architecture} (fallback ${backend.report?.adapter.isFallbackAdapter})`;
    try {
      configs.push({
        label,
        matmul: backend.matmul,
        rows: backend.rows,
        results: await runSweep(backend, sweepCases()),
      });
    } finally {
      backend.dispose();
    }
  }
  // The adapter's fallback-aware defaults: what the app's training worker would pick here.
  const backend = await createWebGPUBackend(gpu, {});
  try {
    return { adapter, configs, training: await runTrainingCases(backend) };
  } finally {
    backend.dispose();
  }
}

sweep().then(
  (report) => self.postMessage(report),
  (e: unknown) =>
    self.postMessage({ adapter: 'unknown', configs: [], error: e instanceof Error ? e.message : String(e) }),
);
