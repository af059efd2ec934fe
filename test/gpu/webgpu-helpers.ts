/** Node side of the WebGPU kernel tests: a backend on Dawn (SwiftShader here), plus the op-case helpers. */

import { afterAll, beforeAll } from 'vitest';
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

/**
 * One default backend for a test file: created before its tests (handed to `set`) and disposed
 * after them. Call at the top level of the file.
 */
export function withGpuBackend(set: (backend: WebGPUBackend) => void): void {
  let backend: WebGPUBackend | undefined;
  beforeAll(async () => {
    backend = await makeGpuBackend();
    set(backend);
  });
  afterAll(() => backend?.dispose());
}

/**
 * One backend per variant (e.g. per row strategy), created before the file's tests and disposed
 * after them. Call at the top level of a test file; the returned lookup works inside tests.
 */
export function gpuBackendPerVariant<V extends string>(
  variants: readonly V[],
  options: (variant: V) => WebGPUBackendOptions,
): (variant: V) => WebGPUBackend {
  const backends = new Map<V, WebGPUBackend>();
  beforeAll(async () => {
    for (const v of variants) backends.set(v, await makeGpuBackend(options(v)));
  });
  afterAll(() => {
    for (const b of backends.values()) b.dispose();
  });
  return (variant) => {
    const backend = backends.get(variant);
    if (!backend) throw new Error(`test: no WebGPU backend for variant "${variant}" (was beforeAll skipped?)`);
    return backend;
  };
}
