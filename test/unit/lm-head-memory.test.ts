/**
 * Memory of the chunked LM head: a training or scoring graph whose logits would be large plans no
 * [tokens x vocab] tensor (forward or backward), its planned activations drop by about the logits
 * and their gradient against the same graph forced onto the unfused path (lmHead 'unfused'), the analytic estimate
 * (memory-fit) stays a lower bound of the planner's, and small vocabularies keep the unfused path.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceTensor } from '../../src/engine/backend.ts';
import { Graph, type Node } from '../../src/engine/graph.ts';
import { buildSequenceStats } from '../../src/engine/logprobs.ts';
import { defaultTargetModules, type LoraConfig, selectTargets } from '../../src/engine/lora.ts';
import { estimateMemory } from '../../src/engine/memory.ts';
import { estimateSessionMemory } from '../../src/engine/memory-fit.ts';
import type { LoadedModel } from '../../src/engine/models/index.ts';
import type { BuildOptions } from '../../src/engine/models/layers.ts';
import { buildPreferenceGraph } from '../../src/engine/objectives/index.ts';
import { type LmHeadMode, shouldChunkLmHead } from '../../src/engine/ops/lm-head/index.ts';
import { type DType, numel } from '../../src/engine/ops.ts';
import { type Plan, plan, type Slot } from '../../src/engine/plan.ts';
import { buildTrainGraph, planTrainStep } from '../../src/engine/train-plan.ts';
import { QWEN_05B, shapesOnly } from './memory-plan-helpers.ts';

// Small everywhere but the vocabulary: 65,536 tokens wide, so 4 x 256 tokens of logits take 256 MiB.
const WIDE = {
  model_type: 'llama',
  vocab_size: 65536,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 48,
  max_position_embeddings: 256,
  tie_word_embeddings: true,
};

const PAIRS = 2;
const T = 256;
const N = 2 * PAIRS * T;

const placeholder = (n: number, dtype: DType): DeviceTensor => ({ numel: n, dtype });

/** Elements of the largest tensor any of the step's plans writes, and of its largest slot. */
function largestPlanned(plans: readonly Plan[], slots: readonly Slot[]): number {
  let largest = 0;
  for (const p of plans) for (const l of p.launches) largest = Math.max(largest, numel(l.output.shape));
  for (const s of slots) largest = Math.max(largest, s.numel);
  return largest;
}

/** A DPO step's graph, the planner's memory account and the largest tensor its plans hold. */
function dpoStep(model: LoadedModel, lora: LoraConfig | null, lmHead: LmHeadMode = 'auto') {
  const build: BuildOptions = lora ? { lora, lmHead } : { lmHead };
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs: PAIRS, T, objective: 'dpo', build });
  const trainable = g
    .params()
    .map((p) => p.attrs.name)
    .filter((n) => !lora || n.includes('lora_'));
  const tg = buildTrainGraph(g, pg.loss, [], trainable);
  const plans = planTrainStep(g, tg, {
    bind: (leaf) => placeholder(numel(leaf.shape), leaf.dtype),
    accumulator: (name) => placeholder(numel(tg.paramNode.get(name)?.shape ?? [0]), 'f32'),
    gradNormSq: placeholder(1, 'f32'),
  });
  const largest = largestPlanned([plans.first, plans.firstNorm, plans.accum, plans.accumNorm], plans.sharedSlots);
  // estimateMemory appends its own backward: account on a fresh graph.
  const g2 = new Graph();
  const pg2 = buildPreferenceGraph(g2, model, { pairs: PAIRS, T, objective: 'dpo', build });
  const memory = estimateMemory({ graph: g2, outputs: [], loss: pg2.loss, trainable });
  return { g, memory, largest };
}

const logitsBytes = (V: number) => N * V * 4;

describe('the chunked LM head in training and scoring graphs', () => {
  it('is chosen by the documented rule: large logits of a large vocabulary only', () => {
    expect(shouldChunkLmHead(N, WIDE.vocab_size)).toBe(true);
    expect(shouldChunkLmHead(N / 2, WIDE.vocab_size)).toBe(false); // 128 MiB of logits
    expect(shouldChunkLmHead(N / 2, WIDE.vocab_size, 'chunked')).toBe(true);
    expect(shouldChunkLmHead(N, WIDE.vocab_size, 'unfused')).toBe(false);
    // The benchmark's shapes: GPT-2 small at 8 x 128 tokens stays unfused, Qwen2.5-0.5B at 4 x 256 is chunked.
    expect(shouldChunkLmHead(1024, 50257)).toBe(false);
    expect(shouldChunkLmHead(1024, 151936)).toBe(true);
    expect(shouldChunkLmHead(1 << 20, 1024)).toBe(false); // the bundled model's vocabulary, any batch
  });

  for (const useLora of [false, true]) {
    it(`a DPO step (${useLora ? 'LoRA' : 'full fine-tuning'}) plans no [tokens x vocab] tensor and drops the logits and their gradient`, () => {
      const model = shapesOnly(WIDE);
      const lora: LoraConfig | null = useLora
        ? { r: 4, alpha: 8, targetModules: defaultTargetModules('llama'), dropout: 0 }
        : null;
      const chunked = dpoStep(model, lora);
      const plain = dpoStep(model, lora, 'unfused');
      const ops = new Set(chunked.g.nodes.map((n) => n.op));
      expect(ops.has('lm_head_logprobs')).toBe(true);
      expect(ops.has('lm_head_logprobs_grad_hidden')).toBe(true);
      // The tied weight trains only under full fine-tuning.
      expect(ops.has('lm_head_logprobs_grad_weight')).toBe(!useLora);
      expect(ops.has('token_logprobs_grad')).toBe(false);
      // The unfused step plans [N, V] tensors (the logits and their gradient, alive at once)...
      const NV = N * WIDE.vocab_size;
      expect(plain.largest).toBe(NV);
      expect(plain.memory.intermediateBytes).toBeGreaterThanOrEqual(2 * logitsBytes(WIDE.vocab_size));
      // ...the chunked one none (its largest is the [V, d] weight gradient or the attention scores),
      // and its activations are smaller by about both of them.
      expect(chunked.largest).toBeLessThan(NV / 8);
      expect(plain.memory.intermediateBytes - chunked.memory.intermediateBytes).toBeGreaterThan(
        1.9 * logitsBytes(WIDE.vocab_size),
      );
      expect(chunked.memory.paramBytes).toBe(plain.memory.paramBytes);
      expect(chunked.memory.gradBytes).toBe(plain.memory.gradBytes);
      // The analytic estimate follows the same rule and stays a lower bound of the planner.
      const params = [...model.shapes.values()];
      const targets = lora ? selectTargets(model.linearModules(), lora) : [];
      const loraShapes = targets.flatMap((t) => [
        [lora?.r ?? 0, t.inFeatures],
        [t.outFeatures, lora?.r ?? 0],
      ]);
      const analytic = estimateSessionMemory({
        dims: model.config,
        params: lora ? [...params, ...loraShapes] : params,
        trainable: lora ? loraShapes : params,
        rows: 2 * PAIRS,
        length: T,
      });
      expect(analytic.intermediateBytes).toBeLessThan(logitsBytes(WIDE.vocab_size));
      expect(analytic.intermediateBytes + analytic.inputBytes).toBeLessThanOrEqual(
        chunked.memory.intermediateBytes + chunked.memory.inputBytes,
      );
      expect(analytic.largestTensorBytes).toBeLessThan(logitsBytes(WIDE.vocab_size));
    });
  }

  it('a scoring graph plans no [tokens x vocab] tensor either', () => {
    const model = shapesOnly(WIDE);
    const score = (lmHead: LmHeadMode) => {
      const g = new Graph();
      const seq = buildSequenceStats(g, model, { B: 2 * PAIRS, T, reductions: ['sum'], build: { lmHead } });
      const outputs = [seq.sum as Node];
      const p = plan(g, { outputs, bind: (leaf) => placeholder(numel(leaf.shape), leaf.dtype) });
      return { ...estimateMemory({ graph: g, outputs }), largest: largestPlanned([p], p.slots) };
    };
    const chunked = score('auto');
    const plain = score('unfused');
    expect(plain.largest).toBe(N * WIDE.vocab_size);
    expect(plain.intermediateBytes).toBeGreaterThanOrEqual(logitsBytes(WIDE.vocab_size));
    expect(chunked.largest).toBeLessThan((N * WIDE.vocab_size) / 8);
    expect(plain.intermediateBytes - chunked.intermediateBytes).toBeGreaterThan(0.9 * logitsBytes(WIDE.vocab_size));
    const analytic = estimateSessionMemory({ dims: model.config, params: model.shapes.values(), rows: 4, length: T });
    expect(analytic.intermediateBytes + analytic.inputBytes).toBeLessThanOrEqual(
      chunked.intermediateBytes + chunked.inputBytes,
    );
  });

  it('Qwen2.5-0.5B shapes, LoRA DPO at 4 x 256 tokens: the planner and the analytic estimate hold no logits', () => {
    const model = shapesOnly(QWEN_05B);
    const V = QWEN_05B.vocab_size;
    const lora: LoraConfig = { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'], dropout: 0 };
    const chunked = dpoStep(model, lora);
    const plain = dpoStep(model, lora, 'unfused');
    // 1024 x 151,936 f32 logits are 593.5 MiB, and their gradient as much again.
    expect(logitsBytes(V)).toBe(622_329_856);
    expect(plain.largest).toBe(N * V);
    expect(chunked.largest).toBeLessThan(N * V);
    expect(plain.memory.intermediateBytes - chunked.memory.intermediateBytes).toBeGreaterThan(1.9 * logitsBytes(V));
    const analytic = estimateSessionMemory({
      dims: model.config,
      params: model.shapes.values(),
      trainable: [[8, 896]],
      rows: 4,
      length: T,
    });
    expect(analytic.largestTensorBytes).toBeLessThan(logitsBytes(V));
    expect(analytic.intermediateBytes + analytic.inputBytes).toBeLessThanOrEqual(
      chunked.memory.intermediateBytes + chunked.memory.inputBytes,
    );
    const MiB = 2 ** 20;
    console.log(
      `Qwen2.5-0.5B LoRA DPO 4x${T}: planned activations ${(chunked.memory.intermediateBytes / MiB).toFixed(1)} MiB ` +
        `(unfused head ${(plain.memory.intermediateBytes / MiB).toFixed(1)} MiB), largest tensor ${((chunked.largest * 4) / MiB).toFixed(1)} MiB ` +
        `(unfused ${((plain.largest * 4) / MiB).toFixed(1)} MiB), analytic ${(analytic.intermediateBytes / MiB).toFixed(1)} MiB, ` +
        `total ${(chunked.memory.totalBytes / MiB).toFixed(1)} MiB (unfused ${(plain.memory.totalBytes / MiB).toFixed(1)} MiB)`,
    );
    // Same parameters the planner counts: the shapes-only model really is Qwen2.5-0.5B (494M weights).
    expect([...model.shapes.values()].reduce((n, s) => n + numel(s), 0)).toBe(494_032_768);
  });
});
