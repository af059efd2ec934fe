/**
 * TF.js's webgpu backend in Node, through the same Dawn (the `webgpu` package, getNodeGPU) and so
 * the same GPU as Orchard's Node WebGPU rows: the real-GPU peer of issue 15's ">= 3x TF.js webgpu
 * tokens/s on the same GPU". TF.js looks for `navigator.gpu`, which Node 20 does not have, so a
 * minimal navigator carrying Dawn's GPU is installed first (only where none exists). TF.js's
 * gradients ship only as extensionless ES modules (dist/register_all_gradients.js), which Node
 * cannot load: they are bundled once with esbuild (tsx's, always installed) into a temporary file
 * and imported; they register into TF.js's global gradient registry, the one the engine reads.
 * Imported lazily by bench/run.ts, so bench runs that skip it load no TF.js.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getNodeGPU } from '../../src/engine/backends/webgpu/node-gpu.ts';
import type { StepCounts } from '../cases.ts';
import type { RunResult } from '../result.ts';
import type { Workload } from '../workload.ts';
import { type Reference, runTfjs } from './run-tfjs.ts';

let registered: Promise<void> | null = null;

async function registerWebgpu(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator?.gpu) {
    const gpu = await getNodeGPU();
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(g.navigator ?? {}), gpu, userAgent: `node ${process.version}` },
      configurable: true,
    });
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  await registerGradients();
}

async function registerGradients(): Promise<void> {
  const require = createRequire(import.meta.url);
  const esbuild = (await import(
    pathToFileURL(require.resolve('esbuild', { paths: [require.resolve('tsx')] })).href
  )) as {
    build(o: Record<string, unknown>): Promise<unknown>;
  };
  const dir = mkdtempSync(join(tmpdir(), 'orchard-tfjs-grads-'));
  try {
    const outfile = join(dir, 'register-all-gradients.mjs');
    await esbuild.build({
      entryPoints: [require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile,
      logLevel: 'error',
    });
    await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runTfjsWebgpuInNode(
  w: Workload,
  steps: StepCounts,
  reference: Reference | null,
): Promise<RunResult> {
  registered ??= registerWebgpu();
  await registered;
  const r = await runTfjs('tfjs-webgpu', 'node', w, steps, reference);
  r.notes.push('TF.js webgpu through Dawn in Node (the webgpu package)');
  return r;
}
