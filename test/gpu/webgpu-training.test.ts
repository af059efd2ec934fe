/**
 * End to end: 10 JPO training steps (forward, backward, clipping, AdamW) of the tiny GPT-2 and
 * Llama parity models, full fine-tuning and LoRA, on the WebGPU backend and on the CPU backend;
 * 3 steps more with the kernel strategies real GPUs get. Per-step losses and the final trained
 * weights must agree.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { Graph } from '../../src/engine/graph.ts';
import { feedsFor, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { initLoraWeights, type LoraConfig, selectTargets } from '../../src/engine/lora.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../../src/engine/models/index.ts';
import { buildPreferenceGraph, REF_INPUTS } from '../../src/engine/objectives/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { ADAMW_DEFAULTS, compileTrainStep } from '../../src/engine/session.ts';
import { FIXTURE_DIR, fixture, fixtureBatch } from '../unit/parity-fixture.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';

const STEPS = 10;
/**
 * AdamW with eps = 1e-4 rather than 1e-8: some gradients are exactly zero in exact arithmetic
 * (GPT-2's key bias: softmax ignores a per-query constant) and only rounding noise (~1e-9) in f32.
 * With a tiny eps, AdamW turns that noise into full +-lr steps whose signs differ between any two
 * implementations; eps = 1e-4 keeps such updates negligible while real gradients still train.
 */
const HYPER = { ...ADAMW_DEFAULTS, lr: 2e-2, weightDecay: 0.01, eps: 1e-4 };

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

interface RunResult {
  losses: number[];
  gradNorms: number[];
  weights: Map<string, Float32Array>;
  launches: number;
}

async function train(
  backend: Backend,
  model: LoadedModel,
  lora: LoraConfig | undefined,
  steps: number,
): Promise<RunResult> {
  const batch = fixtureBatch('joint');
  const P = fixture.batch.pairs;
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs: P, T: batch.T, objective: 'jpo', build: { lora } });
  const init = new Map(model.weights);
  if (lora)
    for (const [k, v] of initLoraWeights(selectTargets(model.linearModules(), lora), lora, new Rng(5))) init.set(k, v);
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => init.get(n) as Float32Array);
  const trainable = g
    .params()
    .filter((p) => p.attrs.trainable)
    .map((p) => p.attrs.name);
  const step = compileTrainStep(g, pg.loss, [], backend, store, { trainable });
  const feeds = sequenceFeeds(
    batch,
    Array.from({ length: P }, (_, i) => i),
  );
  const ref = fixture.ref.joint.sum;
  feeds[REF_INPUTS.chosen] = Float32Array.from(ref.slice(0, P));
  feeds[REF_INPUTS.rejected] = Float32Array.from(ref.slice(P));
  const losses: number[] = [];
  const gradNorms: number[] = [];
  for (let s = 0; s < steps; s++) {
    const r = await step.step(feedsFor(g, feeds), HYPER);
    losses.push(r.loss);
    gradNorms.push(r.gradNorm as number);
  }
  const weights = new Map<string, Float32Array>();
  for (const name of trainable) weights.set(name, (await backend.read(store.get(name).tensor)) as Float32Array);
  const launches = step.stats.launchesPerUpdateStep;
  step.dispose();
  return { losses, gradNorms, weights, launches };
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

async function compare(
  backend: WebGPUBackend,
  arch: 'gpt2' | 'llama',
  mode: 'full' | 'lora',
  steps = STEPS,
): Promise<void> {
  const model = await loadModel(dirFiles(join(FIXTURE_DIR, arch)));
  // LoRA on every linear layer (attention and MLP), rank 4.
  const lora: LoraConfig | undefined =
    mode === 'lora' ? { r: 4, alpha: 8, targetModules: model.linearModules().map((l) => l.module) } : undefined;
  let t0 = performance.now();
  const want = await train(new CpuBackend(), model, lora, steps);
  const cpuMs = performance.now() - t0;
  const before = { ...backend.counters };
  t0 = performance.now();
  const got = await train(backend, model, lora, steps);
  const gpuMs = performance.now() - t0;
  // One program submission per step.
  expect(backend.counters.programRuns - before.programRuns).toBe(steps);
  // Training actually moved the loss, so agreement is not trivial.
  expect(Math.abs(want.losses[steps - 1] - want.losses[0])).toBeGreaterThan(1e-3);
  for (let s = 0; s < steps; s++) {
    const rel = Math.abs(got.losses[s] - want.losses[s]) / Math.abs(want.losses[s]);
    if (!(rel <= 1e-4)) throw new Error(`step ${s}: loss ${got.losses[s]} vs CPU ${want.losses[s]} (rel ${rel})`);
    expect(got.gradNorms[s]).toBeCloseTo(want.gradNorms[s], 4);
  }
  expect([...got.weights.keys()]).toEqual([...want.weights.keys()]);
  let worstLoss = 0;
  for (let s = 0; s < steps; s++)
    worstLoss = Math.max(worstLoss, Math.abs(got.losses[s] - want.losses[s]) / Math.abs(want.losses[s]));
  let worstW = 0;
  for (const [name, w] of want.weights) {
    const err = relErr(got.weights.get(name) as Float32Array, w);
    if (!(err <= 1e-4)) throw new Error(`${name}: trained weights differ from the CPU's (rel ${err})`);
    worstW = Math.max(worstW, err);
  }
  console.log(
    `${arch} ${mode} (${backend.matmul}/${backend.rows}): loss ${want.losses[0].toFixed(5)} -> ${want.losses[steps - 1].toFixed(5)}; ` +
      `worst loss rel ${worstLoss.toExponential(2)}, worst weight rel ${worstW.toExponential(2)}; ${got.launches} launches/step; ` +
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
