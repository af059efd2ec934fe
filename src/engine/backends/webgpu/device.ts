/**
 * WebGPU device acquisition shared by the browser worker, the CLI and the GPU tests.
 *
 * Browsers and Dawn hand out a device with the spec's *default* limits unless asked for more
 * (128 MiB per storage binding, 16 KiB workgroup storage...), which is too small for real models.
 * `requestOrchardDevice` therefore asks for the adapter's own limits and for every optional
 * feature Orchard can use that the adapter has, and describes what it got in a CapabilityReport.
 * Nothing here touches the DOM or Node APIs: pass in `navigator.gpu` or `getNodeGPU()`.
 */
import { tunedSubgroups } from './matmul-autotune.ts';
import { describeSubgroupUse } from './subgroups.ts';

/** The limits Orchard raises to the adapter's maximum (and reports). */
export const ORCHARD_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxBindGroups',
] as const;

export type OrchardLimitName = (typeof ORCHARD_LIMITS)[number];

/** Optional features Orchard uses when present; each must be detected, never assumed. */
export const ORCHARD_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

export type OrchardFeatureName = (typeof ORCHARD_FEATURES)[number];

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters such as SwiftShader: correct, but slow. */
  isFallbackAdapter: boolean;
  /** Present when the adapter supports subgroups. */
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

/**
 * What WebGPU offered and what Orchard got. Plain JSON: the worker posts it to the page and the CLI
 * prints it.
 */
export interface CapabilityReport {
  adapter: AdapterSummary;
  /** The limits of the device actually created (the adapter's maxima, since Orchard requests them). */
  limits: Record<OrchardLimitName, number>;
  /** Which optional features the device has enabled. */
  features: Record<OrchardFeatureName, boolean>;
  /**
   * Whether the WebGPU backend's kernels use subgroup operations here by default (the skinny
   * matmul of decode steps and LoRA's rank-r products; subgroups.ts); sizes in `adapter`. On GPUs
   * the backend's autotune times them against plain loads and updates this (matmul-autotune.ts).
   */
  subgroupKernels: boolean;
  /** Why, in a phrase: no feature, the CPU-adapter rule, the GPU rule not yet timed, or the timings. */
  subgroupKernelsWhy?: string;
}

export interface OrchardDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: CapabilityReport;
}

export interface RequestOrchardDeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Shown in validation errors. */
  label?: string;
}

/** Thrown when there is no adapter or no device; `message` is the one-line reason for the user. */
export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

export async function requestOrchardDevice(gpu: GPU, opts: RequestOrchardDeviceOptions = {}): Promise<OrchardDevice> {
  const adapter = await gpu.requestAdapter(
    opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined,
  );
  if (!adapter) {
    throw new WebGpuUnavailableError('requestAdapter() returned null: no WebGPU adapter is available');
  }

  const requiredLimits: Record<string, number> = {};
  for (const name of ORCHARD_LIMITS) {
    const value = adapterLimit(adapter, name);
    if (value !== undefined) requiredLimits[name] = value;
  }
  const requiredFeatures = ORCHARD_FEATURES.filter((f) => adapter.features.has(f));

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: opts.label ?? 'orchard', requiredLimits, requiredFeatures });
  } catch (err) {
    throw new WebGpuUnavailableError(`requestDevice() failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { adapter, device, report: describeDevice(adapter, device) };
}

/**
 * The adapter's identity without creating a device (what backend "auto" decides from, see
 * ../auto-choice.ts), or one sentence saying why there is no adapter.
 */
export async function identifyAdapter(gpu: GPU): Promise<AdapterSummary | string> {
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? describeAdapter(adapter) : 'requestAdapter() returned null: no WebGPU adapter is available';
  } catch (err) {
    return `requestAdapter() failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export function describeDevice(adapter: GPUAdapter, device: GPUDevice): CapabilityReport {
  const summary = describeAdapter(adapter);
  const limits = {} as Record<OrchardLimitName, number>;
  for (const name of ORCHARD_LIMITS) limits[name] = device.limits[name];
  const features = {} as Record<OrchardFeatureName, boolean>;
  for (const name of ORCHARD_FEATURES) features[name] = device.features.has(name);

  // The backend's default matmul family: register blocks on software adapters, tiles otherwise.
  const family = summary.isFallbackAdapter ? 'register' : 'tiled';
  const subgroups = describeSubgroupUse(features.subgroups, family, tunedSubgroups({ adapter: summary }));
  return { adapter: summary, limits, features, ...subgroups };
}

function describeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    // `info.isFallbackAdapter` is the current spec; older implementations only have the adapter attribute.
    isFallbackAdapter: Boolean(
      info.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter,
    ),
  };
  if (info.subgroupMinSize !== undefined) summary.subgroupMinSize = info.subgroupMinSize;
  if (info.subgroupMaxSize !== undefined) summary.subgroupMaxSize = info.subgroupMaxSize;
  return summary;
}

function adapterLimit(adapter: GPUAdapter, name: OrchardLimitName): number | undefined {
  // Limits are prototype getters; an implementation may lack a newer one.
  const value = (adapter.limits as unknown as Record<string, unknown>)[name];
  return typeof value === 'number' ? value : undefined;
}
