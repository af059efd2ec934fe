/**
 * LoRA dropout (PEFT's lora_dropout): B A dropout(x) in training graphs only. A LoRA linear layer
 * with dropout is gradient-checked by finite differences with the mask held fixed (one seed fed to
 * every evaluation); training graphs of a model get one dropout per adapter and one seed input,
 * generation graphs none; the adapter config records the value for PEFT.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph } from '../../src/engine/graph.ts';
import { LORA_DROPOUT_SEED, saveAdapter, selectTargets } from '../../src/engine/lora.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { loadModel } from '../../src/engine/models/index.ts';
import { buildContext, linear } from '../../src/engine/models/layers.ts';
import { buildPreferenceGraph } from '../../src/engine/objectives/index.ts';
import { runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { withDefaults } from '../../src/lab/spec.ts';
import { evaluate, gradCheck } from './engine-helpers.ts';

const TINY = join(import.meta.dirname, '..', '..', 'public', 'models', 'orchard-tiny');
const LORA = { r: 2, alpha: 4, targetModules: ['proj'], dropout: 0.3 };
const SPEC = { weight: 'w', bias: 'b', module: 'layer.proj', inFeatures: 6, outFeatures: 5, layout: 'linear' as const };

function loraLayer(g: Graph, training: boolean) {
  const ctx = buildContext(g, { lora: LORA, training, trainableBase: true });
  const x = g.param('x', [3, 6]);
  return g.unary(linear(ctx, x, SPEC), 'sigmoid');
}

describe('LoRA dropout', () => {
  it('has the gradient of its fixed mask in a LoRA layer (finite differences, every param)', async () => {
    const report = await gradCheck({
      build: (g) => ({ out: loraLayer(g, true), feeds: { [LORA_DROPOUT_SEED]: Int32Array.of(12345) } }),
    });
    expect(report.mismatches).toEqual([]);
    expect(report.checked).toBeGreaterThan(60);
  });

  it('changes the adapter branch while training and leaves inference graphs alone', async () => {
    const values: Record<string, Float32Array> = {
      x: Float32Array.from({ length: 18 }, (_, i) => Math.sin(i + 1)),
      w: Float32Array.from({ length: 30 }, (_, i) => Math.cos(i) * 0.3),
      b: new Float32Array(5),
      'base_model.model.layer.proj.lora_A.weight': Float32Array.from({ length: 12 }, (_, i) => 0.2 * Math.sin(3 * i)),
      'base_model.model.layer.proj.lora_B.weight': Float32Array.from({ length: 10 }, (_, i) => 0.3 * Math.cos(2 * i)),
    };
    const seed = { [LORA_DROPOUT_SEED]: Int32Array.of(7) };
    const [train] = await evaluate((g) => [loraLayer(g, true)], values, seed);
    const [again] = await evaluate((g) => [loraLayer(g, true)], values, seed);
    const [infer] = await evaluate((g) => [loraLayer(g, false)], values, {});
    expect(Array.from(again)).toEqual(Array.from(train));
    expect(Array.from(train)).not.toEqual(Array.from(infer));
  });

  it('a model: one dropout per adapter and one seed input when training, none when generating', async () => {
    const model = await loadModel(dirFiles(TINY));
    const lora = { r: 2, alpha: 4, targetModules: ['c_attn'], dropout: 0.05 };
    const count = (training: boolean) => {
      const g = new Graph();
      buildPreferenceGraph(g, model, { pairs: 1, T: 8, objective: 'dpo', build: { lora, training } });
      return {
        dropouts: g.nodes.filter((n) => n.op === 'dropout').length,
        seeds: g.inputs().filter((n) => n.attrs.name === LORA_DROPOUT_SEED).length,
      };
    };
    expect(count(true)).toEqual({ dropouts: model.config.numLayers, seeds: 1 });
    expect(count(false)).toEqual({ dropouts: 0, seeds: 0 });
    const targets = selectTargets(model.linearModules(), lora);
    const weights = new Map(
      targets.flatMap((t) => [
        [`base_model.model.${t.module}.lora_A.weight`, new Float32Array(2 * t.inFeatures)],
        [`base_model.model.${t.module}.lora_B.weight`, new Float32Array(2 * t.outFeatures)],
      ]),
    );
    const files = saveAdapter(lora, targets, weights, 'orchard-tiny');
    expect(JSON.parse(files['adapter_config.json']).lora_dropout).toBe(0.05);
  });
});

describe('LoRA dropout in the pipeline', () => {
  const ROOT = join(import.meta.dirname, '..', '..');
  const spec = (dropout: number) =>
    withDefaults({
      seed: 3,
      data: { nInstructions: 8, candidatesPerInstruction: 3, pairing: { budget: 12 } },
      runs: [{ label: 'DPO', objective: 'dpo', pairs: 'conditional' }],
      steps: 4,
      epochs: null,
      batchSize: 2,
      schedule: { warmupSteps: 1 },
      lora: { dropout },
      eval: { nTest: 0 },
      backend: 'cpu',
    });
  const losses = async (dropout: number) => {
    const r = await runExperiment(spec(dropout), {
      backend: new CpuBackend(),
      resolvers: await nodeResolvers({ root: ROOT }),
      samples: 0,
    });
    return r.runs[0].metrics.map((m) => m.loss);
  };

  it('trains with seeded masks: the same numbers twice, other numbers than without dropout', {
    timeout: 120_000,
  }, async () => {
    const a = await losses(0.3);
    expect(a).toHaveLength(4);
    expect(await losses(0.3)).toEqual(a);
    const none = await losses(0);
    // Step 1 has B = 0, so the adapter branch (and its dropout) adds nothing yet; later steps differ.
    expect(a[0]).toBe(none[0]);
    expect(a.slice(1)).not.toEqual(none.slice(1));
  });
});

describe('LoRA dropout in SFT', () => {
  const ROOT = join(import.meta.dirname, '..', '..');
  const sftLosses = async (dropout: number) => {
    const spec = withDefaults({
      seed: 4,
      data: { nInstructions: 8, candidatesPerInstruction: 2, pairing: { budget: 4 } },
      runs: [{ label: 'DPO', objective: 'dpo', pairs: 'conditional' }],
      sft: { steps: 3, batchSize: 2 },
      steps: 1,
      epochs: null,
      batchSize: 2,
      schedule: { warmupSteps: 0 },
      lora: { dropout },
      eval: { nTest: 0 },
      backend: 'cpu',
    });
    const messages: string[] = [];
    await runExperiment(
      spec,
      { backend: new CpuBackend(), resolvers: await nodeResolvers({ root: ROOT }), samples: 0 },
      (e) => {
        if (e.kind === 'progress' && e.stage === 'sft' && e.message.startsWith('SFT step')) messages.push(e.message);
      },
    );
    return messages;
  };

  it('applies to SFT too (PEFT trains with it on), with the same masks on a rerun', { timeout: 120_000 }, async () => {
    const a = await sftLosses(0.3);
    expect(a).toHaveLength(3);
    expect(await sftLosses(0.3)).toEqual(a);
    const none = await sftLosses(0);
    expect(a[0]).toBe(none[0]);
    expect(a.slice(1)).not.toEqual(none.slice(1));
  });
});
