/**
 * LoRA dropout on WebGPU: the gradients of a LoRA layer with dropout (mask fixed by one seed) equal
 * the CPU backend's, whose gradients are checked by finite differences in
 * test/unit/lora-dropout.test.ts; another seed gives other gradients (the mask is in play).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { Graph } from '../../src/engine/graph.ts';
import { LORA_DROPOUT_SEED } from '../../src/engine/lora.ts';
import { buildContext, linear } from '../../src/engine/models/layers.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { expectClose, LOOSE, Rng, randn, withGpuBackend } from './webgpu-helpers.ts';

let gpu: WebGPUBackend;
withGpuBackend((b) => {
  gpu = b;
});

const LORA = { r: 3, alpha: 6, targetModules: ['proj'], dropout: 0.3 };
const SPEC = {
  weight: 'w',
  bias: 'b',
  module: 'layer.proj',
  inFeatures: 13,
  outFeatures: 7,
  layout: 'linear' as const,
};

async function lossAndGrads(backend: Backend, seed: number) {
  const g = new Graph();
  const ctx = buildContext(g, { lora: LORA, training: true, trainableBase: true });
  const x = g.input('x', [5, 13]);
  const loss = g.sumAll(g.unary(linear(ctx, x, SPEC), 'sigmoid'));
  const rng = new Rng(8);
  const store = new ParamStore(backend);
  // B non-zero, so the adapter branch (and its mask) reaches the loss and A's gradient.
  store.addFromGraph(g, (_name, shape) => randn(rng, shape, 0.5).data as Float32Array);
  const names = g.params().map((p) => p.attrs.name);
  const train = compileTrainStep(g, loss, [], backend, store, { trainable: names });
  const feeds = { x: randn(new Rng(9), [5, 13]).data as Float32Array, [LORA_DROPOUT_SEED]: Int32Array.of(seed) };
  const { grads } = await train.grads(feeds, { lossScale: Float32Array.of(1) });
  return { names, grads };
}

describe('LoRA dropout gradients', () => {
  it('match the CPU backend for the same seed (same mask), and differ for another seed', async () => {
    const cpu = await lossAndGrads(new CpuBackend(), 77);
    const webgpu = await lossAndGrads(gpu, 77);
    for (const name of cpu.names) {
      expectClose(webgpu.grads.get(name) as Float32Array, cpu.grads.get(name) as Float32Array, LOOSE, name);
    }
    const other = await lossAndGrads(new CpuBackend(), 78);
    const a = 'base_model.model.layer.proj.lora_A.weight';
    expect(Array.from(other.grads.get(a) as Float32Array)).not.toEqual(Array.from(cpu.grads.get(a) as Float32Array));
  });
});
