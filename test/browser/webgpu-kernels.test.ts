/**
 * The WebGPU kernels inside a module Worker in headless Chromium (SwiftShader here): a small page
 * (test/browser/webgpu-kernels/) is bundled with Vite, served on 127.0.0.1, and its worker runs
 * one or more cases of every op against the CPU backend, with the adapter's default kernel
 * strategies and with the GPU ones (tiled matmul, workgroup-per-row reductions). The worker also
 * trains tiny random GPT-2 and Llama models 10 JPO steps (full and LoRA) on both backends; the
 * per-step losses and final weights must agree as in the Node test (test/gpu/webgpu-training.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { KERNEL_OPS } from '../../src/engine/backends/webgpu/kernels/registry.ts';
import { compareRuns } from '../gpu/jpo-training-run.ts';
import { type PlainRun, TRAINING_STEPS } from './webgpu-kernels/training.ts';
import type { SweepReport } from './webgpu-kernels/worker.ts';
import { serveWorkerPage } from './worker-page.ts';

const run = serveWorkerPage<SweepReport>('webgpu-kernels', { doneTimeoutMs: 240_000 });

describe('WebGPU kernels in a browser worker', () => {
  it('created the backend in the worker and ran both kernel configurations', () => {
    expect(run.report.error).toBeUndefined();
    expect(run.report.configs.map((c) => `${c.matmul}/${c.rows}`)).toEqual(['register/thread', 'tiled/workgroup']);
    console.log(`adapter: ${run.report.adapter}`);
  });

  it('covers every op of the catalogue', () => {
    for (const c of run.report.configs) {
      expect(new Set(c.results.map((r) => r.op))).toEqual(new Set(KERNEL_OPS));
    }
  });

  it('agrees with the CPU backend on every case', () => {
    for (const c of run.report.configs) {
      const failed = c.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
      expect(failed, c.label).toEqual([]);
      const slowest = [...c.results].sort((a, b) => b.ms - a.ms).slice(0, 5);
      const total = c.results.reduce((s, r) => s + r.ms, 0);
      console.log(
        `${c.label}: ${c.results.length} cases in ${total.toFixed(0)} ms; slowest ${slowest.map((r) => `${r.name} ${r.ms.toFixed(0)} ms`).join(', ')}`,
      );
    }
    expect(run.pageErrors).toEqual([]);
  });

  it('trains 10 JPO steps in the worker with the same losses and weights as the CPU backend', () => {
    const asRun = (r: PlainRun) => ({ losses: r.losses, weights: new Map(Object.entries(r.weights)) });
    expect(run.report.training?.map((t) => t.name)).toEqual(['gpt2 full', 'gpt2 lora', 'llama full', 'llama lora']);
    for (const t of run.report.training ?? []) {
      expect(t.error, t.name).toBeUndefined();
      const cpu = t.cpu as PlainRun;
      const webgpu = t.webgpu as PlainRun;
      expect(cpu.losses, t.name).toHaveLength(TRAINING_STEPS);
      // One program submission per step.
      expect(t.programRuns, t.name).toBe(TRAINING_STEPS);
      // Training actually moved the loss, so agreement is not trivial.
      expect(Math.abs(cpu.losses[TRAINING_STEPS - 1] - cpu.losses[0]), t.name).toBeGreaterThan(1e-3);
      // Relative 1e-4 on every loss and on every trained parameter, as in the Node test.
      const { worstLoss, worstWeight, problems } = compareRuns(asRun(webgpu), asRun(cpu));
      expect(problems, t.name).toEqual([]);
      expect(Object.keys(webgpu.weights), t.name).toEqual(Object.keys(cpu.weights));
      for (let s = 0; s < TRAINING_STEPS; s++) expect(webgpu.gradNorms[s], t.name).toBeCloseTo(cpu.gradNorms[s], 4);
      console.log(
        `${t.name}: loss ${cpu.losses[0].toFixed(5)} -> ${cpu.losses[TRAINING_STEPS - 1].toFixed(5)}; ` +
          `worst loss rel ${worstLoss.toExponential(2)}, worst weight rel ${worstWeight.toExponential(2)}; ` +
          `cpu ${t.cpuMs.toFixed(0)} ms, webgpu ${t.webgpuMs.toFixed(0)} ms`,
      );
    }
  });
});
