/** Node side of the WebGPU kernel tests: a backend on Dawn (SwiftShader here), plus the op-case helpers. */
import {
  createWebGPUBackend,
  type WebGPUBackend,
  type WebGPUBackendOptions,
} from '../../src/engine/backends/webgpu/index.ts';
import { getNodeGPU } from '../../src/engine/backends/webgpu/node-gpu.ts';

export * from './webgpu-op-case.ts';

export async function makeGpuBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  return createWebGPUBackend(await getNodeGPU(), options);
}
