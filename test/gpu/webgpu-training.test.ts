/**
 * End to end: 10 JPO training steps (forward, backward, clipping, AdamW) of the tiny GPT-2 and
 * Llama parity models, full fine-tuning and LoRA, on the WebGPU backend and on the CPU backend;
 * 3 steps more with the kernel strategies real GPUs get. Per-step losses and the final trained
 * weights must agree.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { loadModel } from '../../src/engine/models/index.ts';
import { FIXTURE_DIR, fixture, fixtureBatch } from '../unit/parity-fixture.ts';
import { compareRuns, loraOnEveryLinear, type PreferenceBatch, trainJpo } from './jpo-training-run.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';

const STEPS = 10;

let gpu: WebGPUBackend;
/** The kernels a real GPU gets by default (shared-memory matmul tiles, workgroup-per-row reductions). */
let gpuKernels: WebGPUBackend;
beforeAll(async () => {
  gpu = await makeGpuBackend();
  gpuKernels = await makeGpuBackend({ matmul: 'tiled', rows: 'workgroup' });
});
afterAll(() => {
  gpu?.dispose();
  gpuKernels?.dispose();
});

/** The parity fixture's batch (joint masks) with its reference log-probs. */
function fixtureData(): PreferenceBatch {
  const P = fixture.batch.pairs;
  const ref = fixture.ref.joint.sum;
  return {
    batch: fixtureBatch('joint'),
    pairs: P,
    refChosen: Float32Array.from(ref.slice(0, P)),
    refRejected: Float32Array.from(ref.slice(P)),
  };
}

async function compare(
  backend: WebGPUBackend,
  arch: 'gpt2' | 'llama',
  mode: 'full' | 'lora',
  steps = STEPS,
): Promise<void> {
  const model = await loadModel(dirFiles(join(FIXTURE_DIR, arch)));
  const lora = mode === 'lora' ? loraOnEveryLinear(model) : undefined;
  const data = fixtureData();
  let t0 = performance.now();
  const want = await trainJpo(new CpuBackend(), model, lora, data, steps);
  const cpuMs = performance.now() - t0;
  const before = { ...backend.counters };
  t0 = performance.now();
  const got = await trainJpo(backend, model, lora, data, steps);
  const gpuMs = performance.now() - t0;
  // One program submission per step.
  expect(backend.counters.programRuns - before.programRuns).toBe(steps);
  // Training actually moved the loss, so agreement is not trivial.
  expect(Math.abs(want.losses[steps - 1] - want.losses[0])).toBeGreaterThan(1e-3);
  const { worstLoss, worstWeight, problems } = compareRuns(got, want);
  expect(problems).toEqual([]);
  expect([...got.weights.keys()]).toEqual([...want.weights.keys()]);
  for (let s = 0; s < steps; s++) expect(got.gradNorms[s]).toBeCloseTo(want.gradNorms[s], 4);
  console.log(
    `${arch} ${mode} (${backend.matmul}/${backend.rows}): loss ${want.losses[0].toFixed(5)} -> ${want.losses[steps - 1].toFixed(5)}; ` +
      `worst loss rel ${worstLoss.toExponential(2)}, worst weight rel ${worstWeight.toExponential(2)}; ${got.launches} launches/step; ` +
      `cpu ${cpuMs.toFixed(0)} ms, webgpu ${gpuMs.toFixed(0)} ms`,
  );
}

for (const arch of ['gpt2', 'llama'] as const) {
  describe(`${arch}: 10 JPO steps on WebGPU match the CPU backend`, () => {
    for (const mode of ['full', 'lora'] as const) {
      it(mode, () => compare(gpu, arch, mode));
    }
  });
}

// Barriers are slow on SwiftShader, so the GPU strategies get 3 steps here.
describe('3 steps with the GPU kernel strategies (tiled matmul, workgroup-per-row reductions)', () => {
  it('gpt2 full', () => compare(gpuKernels, 'gpt2', 'full', 3));
  it('llama full', () => compare(gpuKernels, 'llama', 'full', 3));
});
