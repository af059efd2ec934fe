/**
 * Whether the WebGPU kernels use subgroup operations, and with which largest subgroup size.
 * Kernels that shuffle values between lanes (kernels/matmul-skinny.ts) size their workgroups as a
 * multiple of the largest size so that every subgroup is full and every shuffled lane is live.
 *
 * Who decides, first match wins: the `subgroups` option; this adapter's timed choice (the
 * autotune, matmul-autotune.ts, times the skinny matmul with shuffles and with plain loads on
 * GPUs); else the fixed rule below.
 */
import type { WebGPUBackendOptions } from './backend.ts';
import type { MatmulVariant } from './kernels/types.ts';

/** The largest subgroup size WebGPU allows; assumed when the adapter does not say. */
const MAX_WEBGPU_SUBGROUP_SIZE = 128;

/**
 * Whether kernels use subgroups unless told otherwise or timed: they need the device's
 * 'subgroups' feature, and only GPUs ('tiled' matmul family) use them. On SwiftShader, a CPU
 * adapter, the skinny matmul ran slower with shuffles than with plain loads on most shapes
 * (bench/matmul-skinny.ts): its caches serve the repeated loads, and its shuffles are emulated.
 */
export function subgroupsByDefault(hasFeature: boolean, matmul: MatmulVariant): boolean {
  return hasFeature && matmul === 'tiled';
}

/** An adapter's timed choice (cached per adapter by the autotune). */
export interface TimedSubgroups {
  readonly use: boolean;
  /** Milliseconds per set of representative skinny products, with shuffles and with plain loads. */
  readonly msShuffles: number;
  readonly msPlainLoads: number;
}

/**
 * The largest subgroup size when kernels use subgroups, else undefined; `options.subgroups` true
 * requires them, false turns them off; `timed` is this adapter's timed choice, if any.
 */
export function kernelSubgroupSize(
  device: GPUDevice,
  options: WebGPUBackendOptions,
  matmul: MatmulVariant,
  timed?: boolean,
): number | undefined {
  const has = device.features.has('subgroups');
  if (options.subgroups === true && !has) {
    throw new RangeError(
      "WebGPU backend: subgroups: true, but the device was created without the 'subgroups' feature " +
        '(the adapter lacks it, or requestDevice did not ask for it). Leave subgroups unset to use them where available.',
    );
  }
  const byRule = subgroupsByDefault(has, matmul);
  if (!(options.subgroups ?? (byRule && timed !== undefined ? timed : byRule))) return undefined;
  return adapterSubgroupSize(device, options);
}

/** The largest subgroup size of the device's adapter (MAX_WEBGPU_SUBGROUP_SIZE when it does not say). */
function adapterSubgroupSize(device: GPUDevice, options: WebGPUBackendOptions): number {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return options.report?.adapter.subgroupMaxSize ?? info?.subgroupMaxSize ?? MAX_WEBGPU_SUBGROUP_SIZE;
}

/**
 * The subgroup size the autotune may switch the skinny matmul to, or undefined when the choice is
 * not its to make: the option forces it, the skinny kernel is off, the family is not 'tiled' (only
 * GPUs are timed), the device lacks the feature, or a subgroup is larger than a workgroup may be
 * (the skinny kernel then uses plain loads either way).
 */
export function tunableSubgroupSize(
  device: GPUDevice,
  options: WebGPUBackendOptions,
  matmul: MatmulVariant,
  maxThreads: number,
): number | undefined {
  if (options.subgroups !== undefined || options.skinnyMatmul === false || matmul !== 'tiled') return undefined;
  if (!device.features.has('subgroups')) return undefined;
  const size = adapterSubgroupSize(device, options);
  return size <= maxThreads ? size : undefined;
}

/** The capability report's `subgroupKernels` and its reason, for an adapter's default backend. */
export function describeSubgroupUse(
  hasFeature: boolean,
  matmul: MatmulVariant,
  timed: TimedSubgroups | undefined,
): { subgroupKernels: boolean; subgroupKernelsWhy: string } {
  if (!hasFeature) return { subgroupKernels: false, subgroupKernelsWhy: 'the adapter has no subgroups' };
  if (matmul !== 'tiled') {
    return {
      subgroupKernels: false,
      subgroupKernelsWhy:
        'CPU adapter: plain loads are used (shuffles ran slower on SwiftShader in bench/matmul-skinny.ts; not timed here)',
    };
  }
  if (!timed) {
    return {
      subgroupKernels: true,
      subgroupKernelsWhy: 'GPU rule, not timed yet: creating the WebGPU backend times shuffles against plain loads',
    };
  }
  const ms = (x: number) => `${x.toPrecision(3)} ms`;
  return {
    subgroupKernels: timed.use,
    subgroupKernelsWhy:
      `timed on this adapter: skinny matmuls took ${ms(timed.msShuffles)} with shuffles, ` +
      `${ms(timed.msPlainLoads)} with plain loads`,
  };
}
