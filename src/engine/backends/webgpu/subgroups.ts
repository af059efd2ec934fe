/**
 * Whether the WebGPU kernels use subgroup operations, and with which largest subgroup size.
 * Kernels that shuffle values between lanes (kernels/matmul-skinny.ts) size their workgroups as a
 * multiple of the largest size so that every subgroup is full and every shuffled lane is live.
 */
import type { WebGPUBackendOptions } from './backend.ts';
import type { MatmulVariant } from './kernels/types.ts';

/** The largest subgroup size WebGPU allows; assumed when the adapter does not say. */
export const MAX_WEBGPU_SUBGROUP_SIZE = 128;

/**
 * Whether kernels use subgroups unless told otherwise: they need the device's 'subgroups' feature,
 * and only GPUs ('tiled' matmul family) use them. On SwiftShader, a CPU adapter, the skinny matmul
 * ran slower with shuffles than with plain loads on most shapes (bench/matmul-skinny.ts): its
 * caches serve the repeated loads, and its shuffles are emulated.
 */
export function subgroupsByDefault(hasFeature: boolean, matmul: MatmulVariant): boolean {
  return hasFeature && matmul === 'tiled';
}

/**
 * The largest subgroup size when kernels use subgroups, else undefined; `options.subgroups` true
 * requires them, false turns them off.
 */
export function kernelSubgroupSize(
  device: GPUDevice,
  options: WebGPUBackendOptions,
  matmul: MatmulVariant,
): number | undefined {
  const has = device.features.has('subgroups');
  if (options.subgroups === true && !has) {
    throw new RangeError(
      "WebGPU backend: subgroups: true, but the device was created without the 'subgroups' feature " +
        '(the adapter lacks it, or requestDevice did not ask for it). Leave subgroups unset to use them where available.',
    );
  }
  if (!(options.subgroups ?? subgroupsByDefault(has, matmul))) return undefined;
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return options.report?.adapter.subgroupMaxSize ?? info?.subgroupMaxSize ?? MAX_WEBGPU_SUBGROUP_SIZE;
}
