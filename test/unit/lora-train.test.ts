/**
 * A 30-step DPO run with LoRA (r 4, α 8, default q/k/v targets) on a tiny Llama-family model:
 * compiled train step (forward, backward, AdamW) on the CPU backend, reference log-probs computed
 * once from the initial policy. The loss must fall from log 2, rewards/accuracies must rise, and
 * only the adapters may change.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph } from '../../src/engine/graph.ts';
import { feedsFor, padRows, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { defaultTargetModules, initLoraWeights, selectTargets } from '../../src/engine/lora.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { randomModel } from '../../src/engine/models/init.ts';
import { buildPreferenceGraph, rewardAccuracy } from '../../src/engine/objectives/index.ts';
import { ADAMW_DEFAULTS } from '../../src/engine/optim/adamw.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { computeReferenceTable, referenceFeeds } from '../../src/engine/reference.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { must } from './engine-helpers.ts';

describe('LoRA DPO training', () => {
  it('30 steps lower the loss and raise rewards/accuracies on the training pairs', async () => {
    const config = parseConfig({
      model_type: 'qwen2',
      vocab_size: 40,
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      rope_theta: 10000,
      tie_word_embeddings: true,
    });
    const rng = new Rng(21);
    const model = randomModel('tiny', config, rng, 0.3);
    const lora = { r: 4, alpha: 8, targetModules: defaultTargetModules('llama') };
    const targets = selectTargets(model.linearModules(), lora);
    expect(targets.length).toBe(6);
    const adapters = initLoraWeights(targets, lora, rng);
    const weights = new Map([...model.weights, ...adapters]);

    // 4 pairs sharing a prompt per pair; responses of different lengths.
    const P = 4;
    const side = (prompt: number[], n: number) => {
      const ids = [1, ...prompt, ...Array.from({ length: n }, () => 2 + rng.int(38)), 1];
      return { ids, mask: ids.map((_, t) => (t > prompt.length ? 1 : 0)) };
    };
    const chosen = [];
    const rejected = [];
    for (let i = 0; i < P; i++) {
      const prompt = Array.from({ length: 3 + i }, () => 2 + rng.int(38));
      chosen.push(side(prompt, 4 + (i % 2)));
      rejected.push(side(prompt, 5 - (i % 2)));
    }
    const backend = new CpuBackend();
    const reference = await computeReferenceTable(
      { kind: 'initial' },
      { model, weights, lora },
      { chosen, rejected },
      { backend, padId: 0 },
    );
    // With B = 0 the adapters change nothing: the base model without them is the same reference.
    const off = await computeReferenceTable(
      { kind: 'lora-off' },
      { model, weights, lora },
      { chosen, rejected },
      { backend, padId: 0 },
    );
    expect(off?.chosen.sum).toEqual(reference?.chosen.sum);
    const T = 16;
    const batch = padRows([...chosen, ...rejected], 0, T);

    const g = new Graph();
    const pg = buildPreferenceGraph(g, model, {
      pairs: P,
      T,
      objective: 'dpo',
      params: { beta: 0.5 },
      build: { lora },
    });
    const store = new ParamStore(backend);
    store.addFromGraph(g, (n) => Float32Array.from(must(weights.get(n), `weights of ${n}`)));
    const rewards = must(pg.rewards, 'DPO rewards');
    const train = compileTrainStep(g, pg.loss, [rewards.chosen, rewards.rejected], backend, store);
    expect([...train.state.trainable].sort()).toEqual([...adapters.keys()].sort());
    const feeds = feedsFor(g, {
      ...sequenceFeeds(batch, [0, 1, 2, 3]),
      ...referenceFeeds(must(reference, 'reference table'), 'sum', [0, 1, 2, 3]),
    });

    const history: { loss: number; acc: number }[] = [];
    for (let step = 0; step < 30; step++) {
      const r = await train.step(feeds, { ...ADAMW_DEFAULTS, lr: 2e-2 });
      history.push({ loss: r.loss, acc: rewardAccuracy(r.outputs[0], r.outputs[1]) });
    }
    expect(history[0].loss).toBeCloseTo(Math.LN2, 5); // policy == reference at step 0
    expect(history[0].acc).toBe(0);
    const last = history[history.length - 1];
    expect(last.loss).toBeLessThan(0.5 * Math.LN2);
    expect(last.acc).toBe(1);
    // Base weights are frozen; adapters moved.
    const baseName = 'model.layers.0.self_attn.q_proj.weight';
    expect(await store.read(baseName)).toEqual(model.weights.get(baseName));
    const bName = must(
      [...adapters.keys()].find((n) => n.endsWith('lora_B.weight')),
      'a lora_B adapter',
    );
    expect((await store.read(bName)).some((v) => v !== 0)).toBe(true);
  });
});
