/**
 * The one place a backend is chosen by name. WebGPU is imported lazily so CPU-only callers (and
 * bundles) never load it. In Node, pass `gpu` (e.g. from webgpu/node-gpu.ts getNodeGPU()); in a
 * browser it defaults to navigator.gpu.
 */
import type { Backend } from '../backend.ts';
import { CpuBackend } from './cpu/backend.ts';

export type BackendName = 'cpu' | 'webgpu';
export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'webgpu'];

/** `memoryBudgetBytes`: what the CPU backend may use in all (checkFits); the CLI passes the machine's memory. */
export async function createBackend(
  name: string,
  opts: { gpu?: GPU; memoryBudgetBytes?: number } = {},
): Promise<Backend> {
  if (name === 'cpu') return new CpuBackend({ memoryBudgetBytes: opts.memoryBudgetBytes });
  if (name === 'webgpu') {
    const gpu = opts.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu) throw new Error('backend webgpu: no WebGPU here (navigator.gpu is missing); use --backend cpu');
    const { createWebGPUBackend } = await import('./webgpu/index.ts');
    return createWebGPUBackend(gpu);
  }
  throw new Error(`unknown backend "${name}"; choose one of ${BACKEND_NAMES.join(', ')}`);
}
