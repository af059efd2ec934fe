/**
 * The memory check before building: the analytic estimate never exceeds what the planner really
 * allocates (so the check cannot refuse a model that would fit), and a GPT-2-shaped model over a
 * small injected budget is refused with the numbers before any buffer is allocated.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph } from '../../src/engine/graph.ts';
import {
  checkFits,
  estimateSessionMemory,
  type LoadedModel,
  ModelDoesNotFitError,
  selectTargets,
} from '../../src/engine/index.ts';
import { buildSequenceStats } from '../../src/engine/logprobs.ts';
import { defaultTargetModules, type LoraConfig } from '../../src/engine/lora.ts';
import { estimateMemory } from '../../src/engine/memory.ts';
import { gpt2Architecture } from '../../src/engine/models/gpt2.ts';
import { expectedParams } from '../../src/engine/models/index.ts';
import { buildPreferenceGraph } from '../../src/engine/objectives/index.ts';
import type { DType } from '../../src/engine/ops.ts';
import { checkPolicyFits, policyMemory } from '../../src/lab/pipeline/fits.ts';
import { loadStage } from '../../src/lab/pipeline/load.ts';
import { Policy } from '../../src/lab/pipeline/policy.ts';
import type { Resolvers } from '../../src/lab/resolve.ts';
import type { LoraSpec } from '../../src/lab/spec.ts';
import { gpt2SmallConfig, tinyGpt2, tinyLlama } from './generate-helpers.ts';

const GiB = 2 ** 30;

/** A CPU backend with an injected budget that counts allocations (none may happen before the check). */
class CountingCpu extends CpuBackend {
  allocs = 0;
  override alloc(numel: number, dtype: DType) {
    this.allocs++;
    return super.alloc(numel, dtype);
  }
}

/** GPT-2 small's shapes (124M parameters) without its weights: the check needs shapes only. */
function gpt2Shaped(): LoadedModel {
  const config = gpt2SmallConfig();
  const shapes = expectedParams(gpt2Architecture(config, 'transformer.'));
  const fail = () => {
    throw new Error('the memory check must refuse before the model is used');
  };
  return {
    name: 'gpt2-shaped',
    config,
    arch: 'gpt2',
    weights: new Map(),
    shapes,
    linearModules: () => gpt2Architecture(config, 'transformer.').linears(),
    buildHidden: fail,
    buildLogits: fail,
  } as unknown as LoadedModel;
}

const NO_LORA: LoraSpec = { enabled: false, r: 8, alpha: 16, targetModules: ['q', 'v'] };

describe('the analytic estimate is a lower bound of what the planner allocates', () => {
  const P = 2;
  const T = 16;
  for (const [label, make] of [
    ['gpt2', tinyGpt2],
    ['llama', tinyLlama],
  ] as const) {
    for (const useLora of [false, true]) {
      it(`${label}, ${useLora ? 'LoRA' : 'full fine-tuning'}: exact weights, gradients, optimizer; activations below the planner's`, () => {
        const model = make(3);
        const lora: LoraConfig | null = useLora
          ? { r: 4, alpha: 8, targetModules: defaultTargetModules(model.arch), dropout: 0 }
          : null;
        const targets = lora ? selectTargets(model.linearModules(), lora) : [];
        const g = new Graph();
        const pg = buildPreferenceGraph(g, model, { pairs: P, T, objective: 'dpo', build: lora ? { lora } : {} });
        const trainable = g
          .params()
          .map((p) => p.attrs.name)
          .filter((n) => !lora || n.includes('lora_'));
        const planned = estimateMemory({ graph: g, outputs: [], loss: pg.loss, trainable });
        const analytic = policyMemory(model, lora, targets, { rows: 2 * P, length: T });
        expect(analytic.paramBytes).toBe(planned.paramBytes);
        expect(analytic.gradBytes).toBe(planned.gradBytes);
        expect(analytic.optimizerBytes).toBe(planned.optimizerBytes);
        const activations = analytic.intermediateBytes + analytic.inputBytes;
        expect(activations).toBeGreaterThan(0);
        expect(activations).toBeLessThanOrEqual(planned.intermediateBytes + planned.inputBytes);
        expect(analytic.totalBytes).toBeLessThanOrEqual(planned.totalBytes);
      });
    }
    it(`${label}, scoring: activations below the planner's forward`, () => {
      const model = make(3);
      const g = new Graph();
      const seq = buildSequenceStats(g, model, { B: 4, T, reductions: ['sum'] });
      const planned = estimateMemory({ graph: g, outputs: [seq.sum as NonNullable<typeof seq.sum>] });
      const analytic = estimateSessionMemory({ dims: model.config, params: model.shapes.values(), rows: 4, length: T });
      expect(analytic.paramBytes).toBe(planned.paramBytes);
      expect(analytic.gradBytes + analytic.optimizerBytes).toBe(0);
      expect(analytic.intermediateBytes + analytic.inputBytes).toBeLessThanOrEqual(
        planned.intermediateBytes + planned.inputBytes,
      );
    });
  }
});

describe('checkFits', () => {
  const step = { rows: 16, length: 512 };

  it('refuses full fine-tuning of a GPT-2-shaped model over a 1 GiB budget before any buffer exists', () => {
    const backend = new CountingCpu({ memoryBudgetBytes: GiB, matmul: 'js' });
    let error: unknown;
    try {
      new Policy(gpt2Shaped(), NO_LORA, 1, backend, step);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelDoesNotFitError);
    expect(backend.allocs).toBe(0);
    const message = (error as Error).message;
    // Independent arithmetic: 124,439,808 f32 weights; grads = weights; AdamW m and v = 2 x weights.
    const weights = 124_439_808 * 4;
    expect(message).toContain('gpt2-shaped (full fine-tuning, 16 sequences x 512 tokens per step, cpu backend)');
    expect(message).toContain('with 124.4M parameters does not fit on this device');
    const MiB = 2 ** 20;
    expect(message).toContain(`weights ${(weights / MiB).toFixed(1)} MiB, gradients ${(weights / MiB).toFixed(1)} MiB`);
    expect(message).toContain(`optimizer state ${((2 * weights + 36) / MiB).toFixed(1)} MiB`);
    expect(message).toContain('but the CPU memory budget is 1.00 GiB');
    expect(message).toMatch(/activations at least \d+\.\d+ GiB/);
    expect(message).toContain('train with LoRA instead of full fine-tuning');
    expect(message).toContain('lower training.batchSize or data.maxLength');
    // Already on the CPU: the fix does not suggest it.
    expect(message).not.toContain('use the CPU backend');
  });

  it('lets the same model train with LoRA and a small batch, which fits the budget', () => {
    const model = gpt2Shaped();
    const backend = new CountingCpu({ memoryBudgetBytes: GiB, matmul: 'js' });
    const lora: LoraConfig = { r: 8, alpha: 16, targetModules: ['c_attn'], dropout: 0 };
    const targets = selectTargets(model.linearModules(), lora);
    expect(() => checkPolicyFits(model, lora, targets, { rows: 4, length: 128 }, backend)).not.toThrow();
    // ...but not with the full-size batch: the activations alone are over the budget.
    expect(() => checkPolicyFits(model, lora, targets, step, backend)).toThrow(/LoRA r=8.*activations at least/);
  });

  it('refuses a tensor longer than the backend can hold, naming the limit', () => {
    const e = estimateSessionMemory({ dims: gpt2Shaped().config, params: [[10]], rows: 256, length: 1024 });
    const budget = { totalSource: 'unknown', maxTensorBytes: 2 ** 30, maxTensorSource: 'the longest typed array' };
    // The chunked LM head never stores the logits, nor fused attention its scores: the largest
    // tensor is one layer's MLP hidden state, 256 x 1024 tokens x 3072 floats.
    expect(() => checkFits(e, budget, 'scoring')).toThrow(
      /its largest tensor needs 3\.00 GiB but the longest typed array is 1\.00 GiB.*lower the batch size or maxLength/,
    );
    expect(() => checkFits(e, undefined, 'scoring')).not.toThrow();
  });

  it('passes the tiny test models under the same budget, and they upload', () => {
    const backend = new CountingCpu({ memoryBudgetBytes: GiB, matmul: 'js' });
    const policy = new Policy(tinyGpt2(1), NO_LORA, 1, backend, step);
    expect(backend.allocs).toBeGreaterThan(0);
    policy.dispose();
  });

  it('the load stage checks the plan’s largest step before uploading anything', async () => {
    const backend = new CountingCpu({ memoryBudgetBytes: GiB, matmul: 'js' });
    const resolvers = {
      model: async () => ({ model: gpt2Shaped(), tokenizer: {}, name: 'gpt2-shaped' }),
    } as unknown as Resolvers;
    const plan = {
      model: { source: 'bundled', id: 'tiny' },
      lora: NO_LORA,
      loraInitSeed: 1,
      training: { batchSize: 8 },
      sft: null,
      data: { encoding: { maxLength: 512 } },
    } as unknown as Parameters<typeof loadStage>[0];
    await expect(loadStage(plan, backend, resolvers, () => {}, undefined)).rejects.toThrow(
      /16 sequences x 512 tokens per step.*does not fit/,
    );
    expect(backend.allocs).toBe(0);
  });
});
