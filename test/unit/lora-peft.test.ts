/**
 * LoRA: PyTorch parity of a PEFT adapter on GPT-2's fused c_attn (log-probs, DPO gradients w.r.t.
 * A and B with the base frozen), PEFT file round trip, merging (merged weights give the adapter
 * model's log-probs), and PEFT's initialisation (B = 0, A ~ U(±1/sqrt(in))).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBackward } from '../../src/engine/autodiff.ts';
import { Graph } from '../../src/engine/graph.ts';
import { buildSequenceLogps, sequenceFeeds } from '../../src/engine/logprobs.ts';
import {
  defaultTargetModules,
  initLoraWeights,
  type LoraConfig,
  loadAdapter,
  loraParamNames,
  mergeLora,
  saveAdapter,
  selectTargets,
} from '../../src/engine/lora.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { type LoadedModel, loadModel, modelFromWeights } from '../../src/engine/models/index.ts';
import { buildPreferenceGraph, REF_INPUTS } from '../../src/engine/objectives/index.ts';
import { Rng } from '../../src/engine/random.ts';
import { must } from './engine-helpers.ts';
import { FIXTURE_DIR, fixture, fixtureBatch, fixtureGrads, relErr, runGraph } from './parity-fixture.ts';

const fx = fixture.models.gpt2;
const loraFx = must(fx.lora, "the gpt2 fixture's lora section");

function readAdapter() {
  const dir = join(FIXTURE_DIR, loraFx.dir);
  return loadAdapter({
    config: readFileSync(join(dir, 'adapter_config.json'), 'utf8'),
    safetensors: new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors'))),
  });
}

async function sums(model: LoadedModel, weights: ReadonlyMap<string, Float32Array>, lora?: LoraConfig) {
  const batch = fixtureBatch('conditional');
  const g = new Graph();
  const logps = buildSequenceLogps(g, model, { B: batch.B, T: batch.T, build: { lora } });
  const [sum] = await runGraph(g, [logps], weights, sequenceFeeds(batch));
  return sum;
}

describe('LoRA (PEFT layout) on GPT-2', () => {
  it('log-probs and DPO gradients of A and B match PyTorch; base weights get none', async () => {
    const model = await loadModel(dirFiles(join(FIXTURE_DIR, fx.dir)));
    const adapter = readAdapter();
    const weights = new Map([...model.weights, ...adapter.weights]);
    expect(relErr(await sums(model, weights, adapter.config), loraFx.logps.conditional.sum)).toBeLessThan(1e-4);

    const batch = fixtureBatch('conditional');
    const P = fixture.batch.pairs;
    const g = new Graph();
    const pg = buildPreferenceGraph(g, model, {
      pairs: P,
      T: batch.T,
      objective: 'dpo',
      build: { lora: adapter.config },
    });
    const trainable = g.params().filter((p) => p.attrs.trainable);
    expect(trainable.map((p) => p.attrs.name).sort()).toEqual([...adapter.weights.keys()].sort());
    const grads = buildBackward(g, pg.loss, trainable);
    const feeds = sequenceFeeds(batch, [0, 1, 2]);
    feeds[REF_INPUTS.chosen] = Float32Array.from(fixture.ref.conditional.sum.slice(0, P));
    feeds[REF_INPUTS.rejected] = Float32Array.from(fixture.ref.conditional.sum.slice(P));
    const out = await runGraph(
      g,
      [pg.loss, ...trainable.map((p) => must(grads.get(p), `gradient of ${p.attrs.name}`))],
      weights,
      feeds,
    );
    expect(relErr([out[0][0]], [loraFx.loss])).toBeLessThan(1e-4);
    const want = fixtureGrads(loraFx.grads.dpo);
    trainable.forEach((p, i) => {
      expect(
        relErr(out[i + 1], must(want.get(p.attrs.name), `fixture gradient ${p.attrs.name}`), 1e-8),
        p.attrs.name,
      ).toBeLessThan(1e-3);
    });
  });

  it('merging folds the adapter into c_attn (Conv1D, fan_in_fan_out): same log-probs', async () => {
    const model = await loadModel(dirFiles(join(FIXTURE_DIR, fx.dir)));
    const adapter = readAdapter();
    const targets = selectTargets(model.linearModules(), adapter.config);
    expect(targets.map((t) => t.module)).toEqual(['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn']);
    const merged = mergeLora(model.weights, targets, adapter.config, adapter.weights);
    expect(merged.get('h.0.attn.c_attn.weight')).not.toEqual(model.weights.get('h.0.attn.c_attn.weight'));
    const mergedModel = modelFromWeights('merged', model.config, merged);
    const got = await sums(mergedModel, merged);
    expect(relErr(got, loraFx.logps.conditional.sum)).toBeLessThan(1e-4);
    // And the base model alone is different (the adapter matters).
    expect(relErr(await sums(model, model.weights), loraFx.logps.conditional.sum)).toBeGreaterThan(1e-3);
  });

  it('save -> load round trip keeps config and tensors (PEFT file layout)', async () => {
    const model = await loadModel(dirFiles(join(FIXTURE_DIR, fx.dir)));
    const config: LoraConfig = { r: 4, alpha: 16, targetModules: defaultTargetModules('gpt2') };
    const targets = selectTargets(model.linearModules(), config);
    const weights = initLoraWeights(targets, config, new Rng(7));
    const files = saveAdapter(config, targets, weights, 'tiny-gpt2');
    const json = JSON.parse(files['adapter_config.json']);
    expect(json).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 16,
      fan_in_fan_out: true,
    });
    expect(json.target_modules).toEqual(['c_attn']);
    expect(json.base_model_name_or_path).toBe('tiny-gpt2');
    const back = loadAdapter({ config: files['adapter_config.json'], safetensors: files['adapter_model.safetensors'] });
    expect(back.config).toMatchObject({ r: 4, alpha: 16, targetModules: ['c_attn'] });
    expect([...back.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [k, v] of weights) expect(back.weights.get(k)).toEqual(v);
  });

  it('initialises like PEFT: B zero, A uniform within 1/sqrt(in), deterministic per seed', () => {
    const targets = [
      {
        module: 'model.layers.0.self_attn.q_proj',
        weight: 'w',
        inFeatures: 64,
        outFeatures: 32,
        layout: 'linear' as const,
      },
    ];
    const c: LoraConfig = { r: 8, alpha: 16, targetModules: ['q_proj'] };
    const w = initLoraWeights(targets, c, new Rng(1));
    const names = loraParamNames('model.layers.0.self_attn.q_proj');
    expect(names.A).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    const A = must(w.get(names.A), names.A);
    const B = must(w.get(names.B), names.B);
    expect(A.length).toBe(8 * 64);
    expect(B.length).toBe(32 * 8);
    expect(B.every((v) => v === 0)).toBe(true);
    const bound = 1 / 8;
    expect(Math.max(...A.map(Math.abs))).toBeLessThanOrEqual(bound);
    // Uniform on [-b, b] has variance b^2 / 3.
    const variance = A.reduce((s, v) => s + v * v, 0) / A.length;
    expect(Math.abs(variance / ((bound * bound) / 3) - 1)).toBeLessThan(0.15);
    expect(initLoraWeights(targets, c, new Rng(1)).get(names.A)).toEqual(A);
  });

  it('rejects PEFT features it does not implement, naming the field', () => {
    const files = { safetensors: new Uint8Array(8) };
    expect(() =>
      loadAdapter({
        ...files,
        config: JSON.stringify({ peft_type: 'LORA', r: 4, use_dora: true, target_modules: ['q_proj'] }),
      }),
    ).toThrow(/use_dora/);
    expect(() =>
      loadAdapter({ ...files, config: JSON.stringify({ peft_type: 'IA3', r: 4, target_modules: ['q_proj'] }) }),
    ).toThrow(/peft_type/);
  });
});
