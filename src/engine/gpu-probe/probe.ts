/**
 * The capability probe: which backend training will get, and why. The same function runs in the
 * browser's training worker (with navigator.gpu) and in the CLI (with getNodeGPU()), so the page
 * and `npm run orchard -- gpu-info` show the same report.
 */

import { chooseBackend } from '../backends/auto-choice.ts';
import { type CapabilityReport, type OrchardDevice, requestOrchardDevice } from '../backends/webgpu/device.ts';
import { checkMatmul, type MatmulCheck } from './check.ts';

export type ProbeHost = 'browser-worker' | 'node';

export interface ProbeReport {
  host: ProbeHost;
  /** Free text about the runtime: the browser's user agent, or Node's version and Vulkan set-up. */
  runtime: string;
  /** The backend an experiment with backend "auto" trains on (../backends/auto-choice.ts). */
  backend: 'webgpu' | 'cpu';
  /** One sentence saying why "auto" trains on the CPU (no adapter, a failed self-test, a software adapter); null on WebGPU. */
  fallbackReason: string | null;
  /** What WebGPU offered, when an adapter and device were obtained. */
  webgpu: CapabilityReport | null;
  /** The probe matmul versus its JS reference, when a device was obtained. */
  matmul: MatmulCheck | null;
  durationMs: number;
}

export interface ProbeResult {
  report: ProbeReport;
  /** The device, kept for training when the probe chose WebGPU; the caller owns it. */
  device: OrchardDevice | null;
}

export interface ProbeEnvironment {
  host: ProbeHost;
  /**
   * Returns the platform's GPU object, or a string saying why there is none (e.g. "navigator.gpu
   * is undefined"). It may also throw; the message becomes the reason.
   */
  getGpu: () => Promise<GPU | string>;
  /** Called once the GPU was looked up, for ProbeReport.runtime. */
  describeRuntime: () => string;
}

export async function probeBackend({ host, getGpu, describeRuntime }: ProbeEnvironment): Promise<ProbeResult> {
  const t0 = performance.now();
  type Fields = Omit<ProbeReport, 'host' | 'runtime' | 'durationMs'>;
  const done = (fields: Fields, device: OrchardDevice | null): ProbeResult => ({
    report: { host, runtime: describeRuntime(), ...fields, durationMs: Math.round(performance.now() - t0) },
    device,
  });
  const cpu = (reason: string, webgpu: CapabilityReport | null = null, matmul: MatmulCheck | null = null) =>
    done({ backend: 'cpu', fallbackReason: reason, webgpu, matmul }, null);

  let gpu: GPU | string;
  try {
    gpu = await getGpu();
  } catch (err) {
    return cpu(errorMessage(err));
  }
  if (typeof gpu === 'string') return cpu(gpu);

  let acquired: OrchardDevice;
  try {
    acquired = await requestOrchardDevice(gpu, { label: `orchard-${host}` });
  } catch (err) {
    return cpu(errorMessage(err));
  }

  const matmul = await checkMatmul(acquired.device);
  if (!matmul.passed) {
    acquired.device.destroy();
    const why = matmul.error ?? `max scaled error ${matmul.maxScaledError.toExponential(2)} > ${matmul.tolerance}`;
    return cpu(`the WebGPU self-test matmul failed (${why})`, acquired.report, matmul);
  }
  // What "auto" picks: a software adapter works (the self-test passed) but the CPU backend is faster.
  const decision = chooseBackend('auto', acquired.report.adapter);
  if (decision.backend === 'cpu') {
    acquired.device.destroy();
    return cpu(decision.reason ?? 'the CPU backend is the better choice here', acquired.report, matmul);
  }
  await tuneKernels(acquired);
  return done({ backend: 'webgpu', fallbackReason: null, webgpu: acquired.report, matmul }, acquired);
}

/**
 * Runs the WebGPU backend's short per-adapter autotune (tile shape, subgroup shuffles or plain
 * loads) on the probed device, so the report says what the kernels will use and that it was
 * timed; the choices are cached per adapter, so the backend training creates later in this
 * worker or process reuses them instead of timing again. A failure only leaves the report's rule.
 */
async function tuneKernels(acquired: OrchardDevice): Promise<void> {
  try {
    const { createWebGPUBackend } = await import('../backends/webgpu/index.ts');
    const backend = await createWebGPUBackend(acquired.device, {
      matmulTile: 'auto',
      report: acquired.report,
      isFallbackAdapter: acquired.report.adapter.isFallbackAdapter,
    });
    backend.dispose();
  } catch (err) {
    console.warn(`probe: kernel autotune skipped: ${errorMessage(err)}`);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
