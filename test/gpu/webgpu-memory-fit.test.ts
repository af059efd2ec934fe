/**
 * The memory check on WebGPU: the budget it reports comes from the device's binding limits (the
 * split into segments) and the caller's budget, and a model over either is refused before any
 * buffer is created; the small test models pass.
 */
import { describe, expect, it } from 'vitest';
import { ModelDoesNotFitError } from '../../src/engine/index.ts';
import { gpt2Architecture } from '../../src/engine/models/gpt2.ts';
import { expectedParams, type LoadedModel } from '../../src/engine/models/index.ts';
import { checkPolicyFits } from '../../src/lab/pipeline/fits.ts';
import { Policy } from '../../src/lab/pipeline/policy.ts';
import type { LoraSpec } from '../../src/lab/spec.ts';
import { gpt2SmallConfig, tinyGpt2 } from '../unit/generate-helpers.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';

const MiB = 2 ** 20;
const NO_LORA: LoraSpec = { enabled: false, r: 8, alpha: 16, targetModules: ['q', 'v'] };

/** GPT-2 small's shapes without weights: the check reads shapes only. */
function gpt2Shaped(): LoadedModel {
  const config = gpt2SmallConfig();
  return {
    name: 'gpt2-shaped',
    config,
    arch: 'gpt2',
    weights: new Map(),
    shapes: expectedParams(gpt2Architecture(config, 'transformer.')),
    linearModules: () => gpt2Architecture(config, 'transformer.').linears(),
  } as unknown as LoadedModel;
}

describe('WebGPU memory budget', () => {
  it('reports the per-tensor limit of the segment split and the injected budget', async () => {
    const gpu = await makeGpuBackend({ memoryBudgetBytes: 64 * MiB });
    try {
      const budget = gpu.memoryBudget();
      expect(budget.totalBytes).toBe(64 * MiB);
      expect(budget.maxTensorBytes).toBe(gpu.estimateFit(0, 0).maxTensorBytes);
      expect(budget.maxTensorBytes).toBeGreaterThanOrEqual(
        Math.min(gpu.device.limits.maxStorageBufferBindingSize, gpu.device.limits.maxBufferSize),
      );
    } finally {
      gpu.dispose();
    }
  });

  it('refuses a GPT-2-shaped model over the budget before any buffer exists, and passes a tiny one', async () => {
    const gpu = await makeGpuBackend({ memoryBudgetBytes: 64 * MiB });
    try {
      const step = { rows: 4, length: 64 };
      expect(() => new Policy(gpt2Shaped(), NO_LORA, 1, gpu, step)).toThrow(ModelDoesNotFitError);
      expect(gpu.memory.peakHeldBytes).toBe(0);
      expect(() => new Policy(gpt2Shaped(), NO_LORA, 1, gpu, step)).toThrow(
        /full fine-tuning.*but the WebGPU memory budget is 64\.0 MiB.*use the CPU backend/,
      );
      const policy = new Policy(tinyGpt2(1), NO_LORA, 1, gpu, step);
      expect(gpu.memory.liveBytes).toBeGreaterThan(0);
      policy.dispose();
    } finally {
      gpu.dispose();
    }
  });

  it('refuses a tensor larger than the kernels can bind, with no total budget given', async () => {
    // 1 MiB segments: the largest bindable tensor is a few MiB, below a 4 x 64 x 50257 logits tensor.
    const gpu = await makeGpuBackend({ maxSegmentBytes: MiB });
    try {
      const model = gpt2Shaped();
      const lora = { r: 8, alpha: 16, targetModules: ['c_attn'], dropout: 0 };
      expect(() => checkPolicyFits(model, lora, [], { rows: 4, length: 64 }, gpu)).toThrow(
        /its largest tensor needs .* but the largest tensor this GPU can bind .* is \d+\.\d MiB/,
      );
    } finally {
      gpu.dispose();
    }
  });
});
