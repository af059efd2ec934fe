/**
 * Memory of fused attention: a Qwen2.5-0.5B-shaped LoRA DPO step plans no [B, H, T, T] tensor
 * (forward or backward) when attention is fused, its planned activations drop by at least the
 * per-layer attention probabilities the unfused step keeps for its backward, the analytic
 * estimate (memory-fit) stays a lower bound of the planner's, and the 'auto' rule keeps short
 * sequences (the bundled classroom model's 64 tokens) on the unfused path.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/engine/graph.ts';
import { defaultTargetModules, type LoraConfig } from '../../src/engine/lora.ts';
import { estimateMemory } from '../../src/engine/memory.ts';
import { estimateSessionMemory } from '../../src/engine/memory-fit.ts';
import type { BuildOptions } from '../../src/engine/models/layers.ts';
import { buildPreferenceGraph } from '../../src/engine/objectives/index.ts';
import { type AttentionMode, FUSED_ATTENTION_MIN_T } from '../../src/engine/ops/attention/index.ts';
import { numel, shapeEq } from '../../src/engine/ops.ts';
import { QWEN_05B, shapesOnly } from './memory-plan-helpers.ts';

const MiB = 2 ** 20;
const model = shapesOnly(QWEN_05B);
const lora: LoraConfig = { r: 8, alpha: 16, targetModules: defaultTargetModules('llama'), dropout: 0 };

/** A LoRA DPO step of `pairs` pairs x T tokens: its graph and the planner's memory account. */
function dpoStep(pairs: number, T: number, attention: AttentionMode) {
  const g = new Graph();
  const build: BuildOptions = { lora, attention };
  const pg = buildPreferenceGraph(g, model, { pairs, T, objective: 'dpo', build });
  const adapters = g.params().filter((p) => p.attrs.name.includes('lora_'));
  const trainable = adapters.map((p) => p.attrs.name);
  const memory = estimateMemory({ graph: g, outputs: [], loss: pg.loss, trainable });
  return { g, memory, trainableShapes: adapters.map((p) => p.shape) };
}

describe('fused attention memory (Qwen2.5-0.5B shape, LoRA DPO step)', () => {
  for (const [pairs, T] of [
    [2, 256],
    [2, 1024],
  ]) {
    it(`${2 * pairs} x ${T} tokens: no [B, H, T, T] tensor, and the probabilities' bytes are gone`, () => {
      const B = 2 * pairs;
      const H = QWEN_05B.num_attention_heads;
      const L = QWEN_05B.num_hidden_layers;
      const scoreShape = [B, H, T, T];
      const scoreBytes = numel(scoreShape) * 4;
      const fused = dpoStep(pairs, T, 'auto');
      const unfused = dpoStep(pairs, T, 'unfused');
      // estimateMemory appended the backward: every node, forward and backward, is checked.
      expect(fused.g.nodes.filter((n) => shapeEq(n.shape, scoreShape))).toEqual([]);
      expect(fused.g.nodes.filter((n) => n.op === 'flash_attention')).toHaveLength(L);
      expect(fused.g.nodes.filter((n) => n.op === 'flash_attention_grad_q')).toHaveLength(L);
      expect(unfused.g.nodes.filter((n) => shapeEq(n.shape, scoreShape)).length).toBeGreaterThanOrEqual(2 * L);
      // The unfused step keeps every layer's probabilities for its backward; the fused one none.
      const saved = unfused.memory.intermediateBytes - fused.memory.intermediateBytes;
      expect(saved).toBeGreaterThanOrEqual(L * scoreBytes);
      const analytic = estimateSessionMemory({
        dims: model.config,
        params: model.shapes.values(),
        trainable: fused.trainableShapes,
        rows: B,
        length: T,
      });
      expect(analytic.intermediateBytes).toBeLessThanOrEqual(fused.memory.intermediateBytes + fused.memory.inputBytes);
      console.log(
        `Qwen2.5-0.5B LoRA DPO ${B} x ${T}: one score tensor ${(scoreBytes / MiB).toFixed(1)} MiB; planned activations ` +
          `unfused ${(unfused.memory.intermediateBytes / MiB).toFixed(1)} MiB, fused ${(fused.memory.intermediateBytes / MiB).toFixed(1)} MiB ` +
          `(saved ${(saved / MiB).toFixed(1)} MiB); total unfused ${(unfused.memory.totalBytes / MiB).toFixed(1)} MiB, fused ${(fused.memory.totalBytes / MiB).toFixed(1)} MiB`,
      );
    });
  }

  it(`'auto' fuses from ${FUSED_ATTENTION_MIN_T} tokens on, so short sequences keep the unfused ops`, () => {
    const g = new Graph();
    buildPreferenceGraph(g, shapesOnly({ ...QWEN_05B, num_hidden_layers: 1 }), { pairs: 1, T: 64, objective: 'dpo' });
    expect(g.nodes.some((n) => n.op === 'softmax_causal')).toBe(true);
    expect(g.nodes.some((n) => n.op === 'flash_attention')).toBe(false);
    const long = new Graph();
    const T = FUSED_ATTENTION_MIN_T;
    buildPreferenceGraph(long, shapesOnly({ ...QWEN_05B, num_hidden_layers: 1 }), { pairs: 1, T, objective: 'dpo' });
    expect(long.nodes.some((n) => n.op === 'softmax_causal')).toBe(false);
    expect(long.nodes.some((n) => n.op === 'flash_attention')).toBe(true);
  });
});
