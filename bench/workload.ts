/**
 * One deterministic workload per bench case: random GPT-2 weights (plus fresh LoRA adapters), a
 * batch of random token rows with a prompt/response split and right padding, and reference
 * log-probs. Orchard and TF.js both start every run from these exact arrays.
 */
import type { Feeds } from '../src/engine/feeds.ts';
import { padRows, sequenceFeeds } from '../src/engine/logprobs.ts';
import { initLoraWeights, loraScaling, selectTargets } from '../src/engine/lora.ts';
import { type ModelConfig, parseConfig } from '../src/engine/models/config.ts';
import { type LoadedModel, modelFromWeights } from '../src/engine/models/index.ts';
import { initWeights } from '../src/engine/models/init.ts';
import { REF_INPUTS } from '../src/engine/objectives/index.ts';
import { Rng } from '../src/engine/random.ts';
import type { BenchCase } from './cases.ts';

export interface Workload {
  bench: BenchCase;
  config: ModelConfig;
  model: LoadedModel;
  /** Every parameter (model + adapters) by Orchard graph name; never mutated by a run. */
  init: ReadonlyMap<string, Float32Array>;
  /** The names that train: the adapters under LoRA, else every model weight. */
  trainable: readonly string[];
  /** LoRA's alpha / r (0 without LoRA). */
  loraScale: number;
  /** Sequences per step (2 * pairs: chosen rows first). */
  B: number;
  T: number;
  /** Feeds for Orchard's preference graph (sequenceFeeds + reference log-probs). */
  feeds: Feeds;
  /** Total parameter count of the model (adapters excluded). */
  modelParams: number;
  trainableParams: number;
}

export function makeWorkload(bench: BenchCase): Workload {
  const rng = new Rng(bench.seed);
  const config = parseConfig(bench.config, `bench case ${bench.id}`);
  const weights = initWeights(config, rng);
  const model = modelFromWeights(bench.id, config, weights);
  const init = new Map(model.weights);
  let trainable: string[] = [...model.weights.keys()];
  if (bench.lora) {
    const adapters = initLoraWeights(selectTargets(model.linearModules(), bench.lora), bench.lora, rng);
    // B starts at zero in PEFT; a small random B makes the adapters matter from the first step,
    // so the TF.js-vs-Orchard loss check also covers the LoRA branch.
    for (const [name, w] of adapters) init.set(name, name.endsWith('lora_B.weight') ? rng.normals(w.length, 0.02) : w);
    trainable = [...adapters.keys()];
  }

  const B = 2 * bench.pairs;
  const { T, promptLen } = bench;
  const rows = Array.from({ length: B }, (_, b) => {
    // Some rows padded (up to T/8 shorter) so the key mask and label masks matter.
    const len = b % 3 === 2 ? T - 1 - rng.int(Math.max(1, T / 8)) : T;
    const ids = Array.from({ length: len }, () => rng.int(config.vocabSize));
    return { ids, mask: ids.map((_, t) => (t >= promptLen ? 1 : 0)) };
  });
  const feeds = sequenceFeeds(
    padRows(rows, 0, T),
    Array.from({ length: bench.pairs }, (_, i) => i),
  );
  // Reference log-probs near what a random model scores (-ln V per token), plus noise, so the
  // DPO margin h is far from 0 and the loss is not simply ln 2.
  const refOf = (b: number) => -(rows[b].ids.length - promptLen) * Math.log(config.vocabSize) + 3 * rng.normal();
  feeds[REF_INPUTS.chosen] = Float32Array.from({ length: bench.pairs }, (_, i) => refOf(i));
  feeds[REF_INPUTS.rejected] = Float32Array.from({ length: bench.pairs }, (_, i) => refOf(bench.pairs + i));

  const count = (names: Iterable<string>) => [...names].reduce((s, n) => s + (init.get(n)?.length ?? 0), 0);
  return {
    bench,
    config,
    model,
    init,
    trainable,
    loraScale: bench.lora ? loraScaling(bench.lora) : 0,
    B,
    T,
    feeds,
    modelParams: count(model.weights.keys()),
    trainableParams: count(trainable),
  };
}
