/**
 * One DPO training step (forward, backward, AdamW) of a ~1M-parameter GPT-2 on the CPU backend,
 * batch 4 pairs x 64 tokens (8 sequences), full fine-tuning and LoRA: `npx tsx bench/cpu-step.ts`.
 * Prints one JSON object per case, then a one-line summary.
 */
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { Graph } from '../src/engine/graph.ts';
import { feedsFor, padRows, sequenceFeeds } from '../src/engine/logprobs.ts';
import { initLoraWeights, type LoraConfig, selectTargets } from '../src/engine/lora.ts';
import { parseConfig } from '../src/engine/models/config.ts';
import { randomModel } from '../src/engine/models/init.ts';
import { buildPreferenceGraph, REF_INPUTS } from '../src/engine/objectives/index.ts';
import { ADAMW_DEFAULTS } from '../src/engine/optim/adamw.ts';
import { ParamStore } from '../src/engine/params.ts';
import { Rng } from '../src/engine/random.ts';
import { compileTrainStep } from '../src/engine/train-step.ts';

const PAIRS = 4;
const T = 64;
const config = parseConfig({
  model_type: 'gpt2',
  vocab_size: 2048,
  n_positions: 64,
  n_embd: 128,
  n_layer: 4,
  n_head: 4,
});

async function bench(name: string, lora?: LoraConfig) {
  const rng = new Rng(1);
  const model = randomModel('bench', config, rng);
  const weights = new Map(model.weights);
  if (lora)
    for (const [k, v] of initLoraWeights(selectTargets(model.linearModules(), lora), lora, rng)) weights.set(k, v);
  const params = [...model.weights.values()].reduce((s, w) => s + w.length, 0);
  const rows = Array.from({ length: 2 * PAIRS }, () => {
    const ids = Array.from({ length: T }, () => rng.int(config.vocabSize));
    return { ids, mask: ids.map((_, t) => (t >= 16 ? 1 : 0)) };
  });
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs: PAIRS, T, objective: 'dpo', build: { lora } });
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => Float32Array.from(weights.get(n) as Float32Array));
  const step = compileTrainStep(g, pg.loss, [], backend, store);
  const feeds = feedsFor(g, {
    ...sequenceFeeds(padRows(rows, 0, T), [0, 1, 2, 3]),
    [REF_INPUTS.chosen]: new Float32Array(PAIRS).fill(-500),
    [REF_INPUTS.rejected]: new Float32Array(PAIRS).fill(-500),
  });
  const hyper = { ...ADAMW_DEFAULTS, lr: 1e-4 };
  for (let i = 0; i < 2; i++) await step.step(feeds, hyper); // warm up the JIT
  const times: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < 10_000 && times.length < 20) {
    const t = performance.now();
    await step.step(feeds, hyper);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  const result = {
    name,
    params,
    trainable: step.state.trainable.length,
    batch: `${PAIRS} pairs x ${T} tokens`,
    msPerStep: Math.round(ms),
    tokensPerSec: Math.round((2 * PAIRS * T) / (ms / 1000)),
    steps: times.length,
    launches: step.stats.launchesPerUpdateStep,
  };
  console.log(JSON.stringify(result));
  return result;
}

const full = await bench('dpo-full');
const lora = await bench('dpo-lora-r8', { r: 8, alpha: 16, targetModules: ['c_attn'] });
console.log(
  `cpu-step: ~${(full.params / 1e6).toFixed(2)}M-param GPT-2, DPO step ${full.msPerStep} ms full FT, ${lora.msPerStep} ms LoRA (median, CPU backend, 1 thread)`,
);
