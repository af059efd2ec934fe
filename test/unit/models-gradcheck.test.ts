/**
 * Finite-difference check of whole tiny models: the gradient of a weighted sum of per-sequence
 * log-prob means (padded batch, conditional-style masks) w.r.t. sampled entries of every kind of
 * parameter, GPT-2 and Llama (GQA, q/k/v bias, untied head), against central differences.
 */
import { describe, expect, it } from 'vitest';
import { buildBackward } from '../../src/engine/autodiff.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph } from '../../src/engine/graph.ts';
import { buildSequenceStats, feedsFor, padRows, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { randomModel } from '../../src/engine/models/init.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { must } from './engine-helpers.ts';

const CONFIGS = {
  gpt2: {
    model_type: 'gpt2',
    vocab_size: 23,
    n_positions: 8,
    n_embd: 8,
    n_layer: 2,
    n_head: 2,
    layer_norm_epsilon: 1e-5,
  },
  llama: {
    model_type: 'llama',
    vocab_size: 23,
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 100,
    attention_bias: true,
    tie_word_embeddings: false,
  },
};

describe.each(['gpt2', 'llama'] as const)('%s log-prob gradients vs finite differences', (arch) => {
  it('match on sampled entries of every parameter', async () => {
    const rng = new Rng(11);
    const model = randomModel('tiny', parseConfig(CONFIGS[arch]), rng, 0.4);
    const rows = [5, 7, 3].map((len) => {
      const ids = Array.from({ length: len }, () => rng.int(23));
      return { ids, mask: ids.map((_, t) => (t >= 2 ? 1 : 0)) };
    });
    const batch = padRows(rows, 0, 7);
    const g = new Graph();
    const seq = buildSequenceStats(g, model, { B: 3, T: 7, reductions: ['mean'] });
    // loss = sum_b w_b * mean_b with distinct weights, so rows cannot hide each other's errors.
    const w = g.input('w', [3]);
    const loss = g.sumAll(g.mul(must(seq.mean, 'mean log-probs'), w));
    const params = g.params();
    const grads = buildBackward(g, loss, params);
    const backend = new CpuBackend();
    const store = new ParamStore(backend);
    store.addFromGraph(g, (n) => Float32Array.from(must(model.weights.get(n), `weights of ${n}`)));
    const feeds = feedsFor(g, { ...sequenceFeeds(batch), w: Float32Array.of(1, -0.7, 0.4) });
    const lossOnly = compileForward(g, [loss], backend, store);
    const all = compileForward(
      g,
      [loss, ...params.map((p) => must(grads.get(p), `gradient of ${p.attrs.name}`))],
      backend,
      store,
    );
    const [, ...analytic] = await all.run(feeds);

    const h = 1e-2;
    let checked = 0;
    for (const [pi, p] of params.entries()) {
      const name = p.attrs.name;
      const base = Float32Array.from(must(model.weights.get(name), `weights of ${name}`));
      for (let k = 0; k < 3; k++) {
        const i = rng.int(base.length);
        const at = async (delta: number) => {
          const x = Float32Array.from(base);
          x[i] += delta;
          store.set(name, x);
          return (await lossOnly.run(feeds))[0][0];
        };
        // Central differences at h and h/2, Richardson-extrapolated: truncation error O(h^4).
        const d1 = ((await at(h)) - (await at(-h))) / (2 * h);
        const d2 = ((await at(h / 2)) - (await at(-h / 2))) / h;
        const numeric = (4 * d2 - d1) / 3;
        store.set(name, base);
        const a = analytic[pi][i];
        expect(Math.abs(a - numeric), `${name}[${i}]: analytic ${a} vs numeric ${numeric}`).toBeLessThan(
          2e-3 + 2e-2 * Math.abs(numeric),
        );
        checked++;
      }
    }
    expect(checked).toBe(params.length * 3);
    // The check is not vacuous: most sampled gradients are clearly non-zero.
    expect(analytic.filter((a) => a.some((v) => Math.abs(v) > 1e-3)).length).toBeGreaterThan(params.length * 0.8);
  });
});
