/**
 * The benchmark page: runs Orchard's webgpu and cpu backends and TF.js's webgpu, wasm and cpu
 * backends on the same workloads in one browser. bench/browser.ts drives it through
 * `window.orchardBench`; nothing here runs on its own. Orchard's cpu row runs in a module worker
 * (orchard-cpu-worker.ts), the others on this main thread.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createWebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { CASES, type CaseId, type EngineId, type StepCounts } from '../cases.ts';
import { runOrchard } from '../orchard-step.ts';
import type { AdapterInfo, RunResult } from '../result.ts';
import { type Reference, runTfjs } from '../tfjs/run-tfjs.ts';
import { makeWorkload, type Workload } from '../workload.ts';
import { runOrchardCpuInWorker } from './cpu-row-in-worker.ts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const workloads = new Map<CaseId, Workload>();
const workloadFor = (id: CaseId): Workload => {
  let w = workloads.get(id);
  if (!w) {
    w = makeWorkload(CASES[id]);
    workloads.set(id, w);
  }
  return w;
};

async function adapter(): Promise<AdapterInfo | null> {
  const a = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return null;
  const info = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? (a as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
}

async function run(
  caseId: CaseId,
  engine: EngineId,
  steps: StepCounts,
  rowLogps: boolean,
  reference: Reference | null,
  timeoutMs: number,
): Promise<RunResult> {
  // In a Web Worker, as the lab trains: the main thread may not block, so it would get one thread.
  if (engine === 'orchard-cpu') return runOrchardCpuInWorker(caseId, steps, rowLogps, timeoutMs);
  const w = workloadFor(caseId);
  if (engine === 'orchard-webgpu') {
    const backend = await createWebGPUBackend(navigator.gpu);
    try {
      return await runOrchard(engine, 'browser', backend, w, steps, { rowLogps });
    } finally {
      backend.dispose();
    }
  }
  const result = await runTfjs(engine, 'browser', w, steps, reference);
  if (engine === 'tfjs-wasm') result.notes.push(`wasm threads: ${getThreadsCount()}`);
  return result;
}

declare global {
  interface Window {
    orchardBench: {
      adapter: typeof adapter;
      run: typeof run;
      crossOriginIsolated: boolean;
    };
  }
}

window.orchardBench = { adapter, run, crossOriginIsolated: self.crossOriginIsolated };
document.body.dataset.ready = 'true';
