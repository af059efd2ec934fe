/**
 * The WebGPU backend. `createWebGPUBackend` takes a GPUDevice (the caller keeps ownership) or a
 * GPU such as navigator.gpu or getNodeGPU() (the backend requests a device with the adapter's
 * limits through device.ts and owns it).
 */
import { WebGPUBackend, type WebGPUBackendOptions } from './backend.ts';
import { requestOrchardDevice } from './device.ts';

export { type BackendCounters, WebGPUBackend, type WebGPUBackendOptions } from './backend.ts';
export type { MemoryStats } from './buffer-pool.ts';
export { DeviceLostError, DoesNotFitError, WebGPUError } from './errors.ts';
export type { FitEstimate } from './fit.ts';
export type { MatmulVariant, RowStrategy } from './kernels/types.ts';
export { type ProgramStats, WebGPUProgram } from './program.ts';
export { GpuTensor } from './tensor.ts';

export interface CreateWebGPUBackendOptions extends WebGPUBackendOptions {
  powerPreference?: GPUPowerPreference;
}

export async function createWebGPUBackend(
  deviceOrGpu: GPUDevice | GPU,
  options: CreateWebGPUBackendOptions = {},
): Promise<WebGPUBackend> {
  if (!('requestAdapter' in deviceOrGpu)) return new WebGPUBackend(deviceOrGpu, options);
  const { device, report } = await requestOrchardDevice(deviceOrGpu, {
    powerPreference: options.powerPreference ?? 'high-performance',
  });
  return new WebGPUBackend(device, {
    ...options,
    isFallbackAdapter: options.isFallbackAdapter ?? report.adapter.isFallbackAdapter,
    ownsDevice: options.ownsDevice ?? true,
    report,
  });
}
