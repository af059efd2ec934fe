/**
 * The WebGPU backend. `createWebGPUBackend` takes a GPUDevice (the caller keeps ownership) or a
 * GPU / navigator.gpu (the backend requests the adapter's limits, creates a device and owns it).
 */
import { WebGPUBackend, type WebGPUBackendOptions } from './backend.ts';

export { WebGPUBackend, type BackendCounters, type WebGPUBackendOptions } from './backend.ts';
export type { MemoryStats } from './buffer-pool.ts';
export { DeviceLostError, DoesNotFitError, WebGPUError } from './errors.ts';
export type { FitEstimate } from './fit.ts';
export type { MatmulVariant } from './kernels/types.ts';
export { WebGPUProgram, type ProgramStats } from './program.ts';
export { GpuTensor } from './tensor.ts';

/** Limits worth raising to the adapter's maximum for training: big bindings and buffers, many bindings. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
] as const;

export async function createWebGPUBackend(
  deviceOrGpu: GPUDevice | GPU,
  options: WebGPUBackendOptions & { powerPreference?: GPUPowerPreference } = {},
): Promise<WebGPUBackend> {
  if ('requestAdapter' in deviceOrGpu) {
    const adapter = await deviceOrGpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (!adapter) throw new Error('WebGPU: no adapter available (is WebGPU enabled in this browser / runtime?)');
    const requiredLimits: Record<string, number> = {};
    for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
    const device = await adapter.requestDevice({ requiredLimits, label: 'orchard' });
    const isFallbackAdapter =
      options.isFallbackAdapter ??
      ((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ||
        (adapter.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ||
        false);
    return new WebGPUBackend(device, { ...options, isFallbackAdapter, ownsDevice: options.ownsDevice ?? true });
  }
  return new WebGPUBackend(deviceOrGpu, options);
}
