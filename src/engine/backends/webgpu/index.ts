/**
 * The WebGPU backend. `createWebGPUBackend` takes a GPUDevice (the caller keeps ownership) or a
 * GPU such as navigator.gpu or getNodeGPU() (the backend requests a device with the adapter's
 * limits through device.ts and owns it).
 */
import { WebGPUBackend, type WebGPUBackendOptions } from './backend.ts';
import { requestOrchardDevice } from './device.ts';
import { autotuneMatmul } from './matmul-autotune.ts';

export { type BackendCounters, WebGPUBackend, type WebGPUBackendOptions } from './backend.ts';
export type { MemoryStats } from './buffer-pool.ts';
export { DeviceLostError, DoesNotFitError, WebGPUError } from './errors.ts';
export type { FitEstimate } from './fit.ts';
export { MATMUL_TILE_NAMES, type MatmulTileName } from './kernels/matmul-tiles.ts';
export type { MatmulVariant, RowStrategy } from './kernels/types.ts';
export { type AutotuneResult, autotuneMatmul, type SubgroupDecision } from './matmul-autotune.ts';
export { type ProgramStats, WebGPUProgram } from './program.ts';
export { GpuTensor } from './tensor.ts';

export interface CreateWebGPUBackendOptions extends WebGPUBackendOptions {
  powerPreference?: GPUPowerPreference;
}

export async function createWebGPUBackend(
  deviceOrGpu: GPUDevice | GPU,
  options: CreateWebGPUBackendOptions = {},
): Promise<WebGPUBackend> {
  if (!('requestAdapter' in deviceOrGpu)) return tuned(new WebGPUBackend(deviceOrGpu, options), options, undefined);
  const { device, report } = await requestOrchardDevice(deviceOrGpu, {
    powerPreference: options.powerPreference ?? 'high-performance',
  });
  const isFallbackAdapter = options.isFallbackAdapter ?? report.adapter.isFallbackAdapter;
  const backend = new WebGPUBackend(device, {
    ...options,
    isFallbackAdapter,
    ownsDevice: options.ownsDevice ?? true,
    report,
  });
  return tuned(backend, options, isFallbackAdapter);
}

/**
 * Tunes the tiled matmul's tile shape (matmul-autotune.ts) when asked ('auto'), and by default on
 * hardware adapters that use the tiled kernels; a forced shape is kept as given. On the same
 * adapters it times the skinny matmul with subgroup shuffles against plain loads unless the
 * `subgroups` option decides (tunableSubgroupSize). Software adapters are never tuned unasked:
 * their timings mean nothing and the products would take minutes.
 */
async function tuned(
  backend: WebGPUBackend,
  options: WebGPUBackendOptions,
  isFallbackAdapter: boolean | undefined,
): Promise<WebGPUBackend> {
  const hardware = isFallbackAdapter === false;
  const tiles = options.matmulTile === 'auto' || (options.matmulTile === undefined && hardware);
  const subgroups = backend.tunableSubgroupSize !== undefined && (hardware || options.matmulTile === 'auto');
  if ((tiles || subgroups) && backend.matmul === 'tiled') {
    try {
      await autotuneMatmul(backend, { tiles });
    } catch (e) {
      // Tuning only picks a speed; a failure to time leaves the default choices, and a lost device
      // surfaces on the backend's first real use.
      console.warn(`matmul autotune skipped: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return backend;
}
