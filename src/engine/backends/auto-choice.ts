/**
 * What `backend: "auto"` means: WebGPU on a hardware adapter, the CPU backend on a software one.
 *
 * A software (fallback) adapter such as SwiftShader or llvmpipe runs WGSL on the CPU through a
 * Vulkan emulation: correct, but the default classroom comparison took ~11x longer there than on
 * the CPU backend of the same machine (README, Benchmarks). So "auto" decides from what the adapter
 * says about itself, without benchmarking anything on the user's time. An explicit "webgpu" is
 * always honoured (that is how the software adapter runs the WebGPU tests).
 */

export type BackendRequest = 'auto' | 'webgpu' | 'cpu';

/** What an adapter says about itself (GPUAdapterInfo plus the fallback flag). */
export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

/** Adapter names of software rasterisers that do not always set isFallbackAdapter. */
const SOFTWARE_ADAPTERS = ['swiftshader', 'llvmpipe', 'lavapipe', 'softpipe', 'microsoft basic render', 'warp'];

/** The name of the software implementation, or null for a hardware adapter. */
export function softwareAdapterName(adapter: AdapterIdentity): string | null {
  const text = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].join(' ').toLowerCase();
  const known = SOFTWARE_ADAPTERS.find((name) => text.includes(name));
  if (known)
    return known === 'warp' ? 'WARP' : known === 'microsoft basic render' ? 'Microsoft Basic Render' : titleCase(known);
  return adapter.isFallbackAdapter ? 'a fallback adapter' : null;
}

export interface BackendDecision {
  backend: 'webgpu' | 'cpu';
  /** One sentence for the capability panel, the run header and the CLI; null when nothing needs saying. */
  reason: string | null;
}

/**
 * Decides the backend before any device is created. `adapter` is the adapter's identity, or a
 * sentence saying why there is none (no navigator.gpu, requestAdapter() returned null...).
 */
export function chooseBackend(request: BackendRequest, adapter: AdapterIdentity | string): BackendDecision {
  if (request === 'cpu') return { backend: 'cpu', reason: null };
  if (typeof adapter === 'string') {
    const asked = request === 'webgpu' ? 'the experiment asks for WebGPU, but ' : '';
    return { backend: 'cpu', reason: `${asked}${adapter}; training on the CPU` };
  }
  const software = softwareAdapterName(adapter);
  if (request === 'webgpu') {
    return {
      backend: 'webgpu',
      reason: software
        ? `WebGPU as asked, on ${software} (a software adapter: correct, but slower than the CPU backend)`
        : null,
    };
  }
  if (software) {
    return {
      backend: 'cpu',
      reason: `the WebGPU adapter is ${software}, a software implementation that runs on the CPU, so "auto" trains on the CPU backend (faster there); choose WebGPU to use it anyway`,
    };
  }
  return { backend: 'webgpu', reason: null };
}

function titleCase(name: string): string {
  return name === 'swiftshader' ? 'SwiftShader' : name;
}
