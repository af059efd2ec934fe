/**
 * The Node side of the benchmark: Orchard's WebGPU backend through Dawn (getNodeGPU: the system's
 * GPU, or SwiftShader when there is none) and its CPU backend, on the same workloads as the page.
 */
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { createWebGPUBackend } from '../src/engine/backends/webgpu/index.ts';
import { getNodeGPU, nodeGpuSource } from '../src/engine/backends/webgpu/node-gpu.ts';
import type { EngineId, StepCounts } from './cases.ts';
import { runOrchard } from './orchard-step.ts';
import type { AdapterInfo, RunResult } from './result.ts';
import type { Workload } from './workload.ts';

export interface NodeHost {
  runtime: string;
  adapter: AdapterInfo | null;
  /** Why WebGPU is unavailable in Node, when it is. */
  gpuProblem: string | null;
  run(engine: EngineId, w: Workload, steps: StepCounts, rowLogps: boolean): Promise<RunResult>;
}

export async function openNodeHost(): Promise<NodeHost> {
  let gpu: GPU | null = null;
  let adapter: AdapterInfo | null = null;
  let gpuProblem: string | null = null;
  try {
    gpu = await getNodeGPU();
    const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (a) {
      const info = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
      adapter = {
        vendor: info.vendor,
        architecture: info.architecture,
        device: info.device,
        description: info.description,
        isFallbackAdapter: Boolean(info.isFallbackAdapter ?? (a as { isFallbackAdapter?: boolean }).isFallbackAdapter),
      };
    }
  } catch (err) {
    gpuProblem = err instanceof Error ? err.message : String(err);
  }
  return {
    runtime: `node ${process.version}, Dawn (${nodeGpuSource() ?? 'no adapter'})`,
    adapter,
    gpuProblem,
    async run(engine, w, steps, rowLogps) {
      if (engine === 'orchard-cpu') return runOrchard(engine, 'node', new CpuBackend(), w, steps, { rowLogps });
      if (engine !== 'orchard-webgpu') throw new Error(`node host runs Orchard only, not ${engine}`);
      if (!gpu) throw new Error(`no WebGPU in Node: ${gpuProblem}`);
      const backend = await createWebGPUBackend(gpu);
      try {
        return await runOrchard(engine, 'node', backend, w, steps, { rowLogps });
      } finally {
        backend.dispose();
      }
    },
  };
}
