/**
 * WebGPU in Node: the `webgpu` npm package (Dawn), for the CLI, benchmarks and test/gpu.
 *
 * Dawn drives Vulkan, so it needs a Vulkan loader (libvulkan.so.1) and a driver. On a machine with
 * a GPU both come from the system and nothing here interferes. On a machine without one (CI, this
 * dev box) Debian's `chromium` package ships both a loader and SwiftShader, a CPU Vulkan driver, in
 * /usr/lib/chromium; `getNodeGPU` wires them up in-process, so no LD_LIBRARY_PATH is needed:
 *  - the loader is preloaded by absolute path with RTLD_NODELETE, after which Dawn's own
 *    dlopen("libvulkan.so.1") resolves to it (glibc matches already-loaded libraries by soname);
 *  - VK_ICD_FILENAMES is pointed at SwiftShader; the loader reads it on every vkCreateInstance.
 * SwiftShader is correct but slow and has no shader-f16; it is for correctness, not timings.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebGpuUnavailableError } from './device.ts';

const CHROMIUM_DIR = '/usr/lib/chromium';
const CHROMIUM_VULKAN_LOADER = `${CHROMIUM_DIR}/libvulkan.so.1`;
const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
/** Where the Vulkan loader looks for system drivers (ICD manifests) on Linux. */
const SYSTEM_ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

// glibc's dlopen flags. Node's os.constants.dlopen lacks RTLD_NODELETE; its value is fixed by the glibc ABI.
const RTLD_NOW = 2;
const RTLD_NODELETE = 0x1000;

/**
 * How the GPU was obtained, for reports: Dawn's own defaults (the system's drivers, or whatever the
 * user's VK_ICD_FILENAMES / VK_DRIVER_FILES name), or the SwiftShader set-up done here.
 */
export type NodeGpuSource = 'platform-default' | 'chromium-swiftshader';

let pending: Promise<GPU> | undefined;
let source: NodeGpuSource | undefined;

/**
 * A `GPU` (like `navigator.gpu`) for this Node process, with an adapter guaranteed to exist.
 * Prefers a system Vulkan driver; falls back to Chromium's SwiftShader. Also installs the WebGPU
 * globals (GPUBufferUsage, GPUMapMode, GPUShaderStage...) that browser code expects.
 * Throws WebGpuUnavailableError with a one-line reason when there is no adapter.
 */
export function getNodeGPU(): Promise<GPU> {
  pending ??= acquire().catch((err: unknown) => {
    pending = undefined; // let a caller retry after fixing the environment
    throw err;
  });
  return pending;
}

/** Which Vulkan set-up the cached GPU uses, once getNodeGPU has resolved. */
export function nodeGpuSource(): NodeGpuSource | undefined {
  return source;
}

async function acquire(): Promise<GPU> {
  const { create, globals } = await import('webgpu');
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  if (process.platform !== 'linux') {
    // Dawn uses Metal / D3D12 there; nothing to set up.
    const gpu = await requireAdapter(create([]), 'Dawn found no adapter');
    source = 'platform-default';
    return gpu;
  }

  const loader = ensureVulkanLoader();
  if (loader === 'missing') {
    throw new WebGpuUnavailableError(
      'no Vulkan loader (libvulkan.so.1) for Dawn: install Debian chromium (apt-get install -y chromium) or libvulkan1',
    );
  }

  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES || hasSystemVulkanDriver()) {
    const gpu = create([]);
    if (await gpu.requestAdapter()) {
      source = 'platform-default';
      return gpu;
    }
  }
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new WebGpuUnavailableError(
      `no WebGPU adapter: no usable Vulkan driver and no SwiftShader at ${SWIFTSHADER_ICD} (apt-get install -y chromium)`,
    );
  }
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  if (!process.env.XDG_RUNTIME_DIR) {
    // Vulkan's WSI code warns without it; any private directory will do.
    const dir = join(tmpdir(), `orchard-xdg-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  const gpu = await requireAdapter(create([]), `Dawn found no adapter even with SwiftShader (${SWIFTSHADER_ICD})`);
  source = 'chromium-swiftshader';
  return gpu;
}

async function requireAdapter(gpu: GPU, reason: string): Promise<GPU> {
  if (!(await gpu.requestAdapter())) throw new WebGpuUnavailableError(reason);
  return gpu;
}

/** Makes libvulkan.so.1 loadable by name: the system's if it has one, else Chromium's. */
function ensureVulkanLoader(): 'system' | 'chromium' | 'missing' {
  if (tryPreload('libvulkan.so.1')) return 'system';
  if (existsSync(CHROMIUM_VULKAN_LOADER) && tryPreload(CHROMIUM_VULKAN_LOADER)) return 'chromium';
  return 'missing';
}

/**
 * dlopen a plain shared library and keep it resident. process.dlopen is meant for Node addons, so
 * it always fails with "did not self-register" once the library loaded; any other error means it
 * could not be loaded.
 */
function tryPreload(file: string): boolean {
  try {
    process.dlopen({ exports: {} }, file, RTLD_NOW | RTLD_NODELETE);
    return true;
  } catch (err) {
    return err instanceof Error && err.message.includes('did not self-register');
  }
}

function hasSystemVulkanDriver(): boolean {
  return SYSTEM_ICD_DIRS.some((dir) => {
    try {
      return readdirSync(dir).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}
