/**
 * Makes a bundled tiny model, public/models/<id>, with Orchard's own engine on the CPU backend: trains
 * the tokenizer (train-tokenizer.ts), initializes a small GPT-2 from the seed as transformers does,
 * then runs SFT on Apples & Oranges answers of which only some are correct, so the model writes
 * plausible lists with a habit (room for DPO/JPO to improve). Finally it samples answers to held-out
 * instructions and reports the oracle's mean score. The recipes (tiny-model-recipe.ts):
 * orchard-tiny (version 1's model; its bytes must never change: v1 links replay it) and
 * orchard-tiny-2 (version 2's default: clean lists, the same habit).
 *
 *   npm run make:tiny-model [-- --recipe orchard-tiny-2|orchard-tiny] [-- --out DIR] [-- --seed N]
 *                           [-- --steps N] [-- --no-eval]
 *
 * Deterministic: same recipe and seed, same bytes (the CPU backend is deterministic and every
 * random choice draws from the seeded Rng).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodePair } from '../src/data/sequence.ts';
import { type ListSpec, splitSpecs } from '../src/data/tasks/apples.ts';
import { type Tokenizer, tokenizerFromJson } from '../src/data/tokenizer.ts';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { Graph } from '../src/engine/graph.ts';
import { buildSequenceStats, feedsFor, padRows, sequenceFeeds } from '../src/engine/logprobs.ts';
import { parseConfig } from '../src/engine/models/config.ts';
import { gpt2Architecture } from '../src/engine/models/gpt2.ts';
import { expectedParams, type LoadedModel, modelFromWeights } from '../src/engine/models/index.ts';
import { ADAMW_DEFAULTS } from '../src/engine/optim/adamw.ts';
import { lrAt } from '../src/engine/optim/schedule.ts';
import { ParamStore } from '../src/engine/params.ts';
import { Rng } from '../src/engine/random.ts';
import { writeSafetensors } from '../src/engine/safetensors.ts';
import { compileTrainStep } from '../src/engine/train-step.ts';
import { modelCard } from './tiny-model-card.ts';
import { evaluateTiny, type OracleEval } from './tiny-model-eval.ts';
import { sftExample, TINY_2_RECIPE, TINY_RECIPES, type TinyRecipe } from './tiny-model-recipe.ts';
import { trainTinyTokenizer } from './train-tokenizer.ts';

export { evaluateTiny, type OracleEval } from './tiny-model-eval.ts';
export { TINY_2_RECIPE, TINY_RECIPE, TINY_RECIPES, type TinyRecipe } from './tiny-model-recipe.ts';

export interface TinyModel {
  configJson: Record<string, unknown>;
  safetensors: Uint8Array;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  tokenizer: Tokenizer;
  model: LoadedModel;
  params: number;
  trainSeconds: number;
  finalLoss: number;
  test: ListSpec[];
}

export function hfConfig(r: TinyRecipe, vocabSize: number, eosId: number): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: vocabSize,
    n_positions: r.nPositions,
    n_ctx: r.nPositions,
    n_embd: r.nEmbd,
    n_layer: r.nLayer,
    n_head: r.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    bos_token_id: eosId,
    eos_token_id: eosId,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
}

/** transformers' GPT-2 init: N(0, 0.02) weights and embeddings, N(0, 0.02 / sqrt(2 n_layer)) residual projections, zero biases, unit LayerNorm. */
function initWeights(shapes: Map<string, number[]>, nLayer: number, rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const name of [...shapes.keys()].sort()) {
    const shape = shapes.get(name) as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    if (/\.ln_\d\.weight$|ln_f\.weight$/.test(name)) out.set(name, new Float32Array(n).fill(1));
    else if (name.endsWith('.bias')) out.set(name, new Float32Array(n));
    else out.set(name, rng.normals(n, name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * nLayer) : 0.02));
  }
  return out;
}

export async function makeTinyModel(r: TinyRecipe, log: (line: string) => void = () => {}): Promise<TinyModel> {
  const tok = trainTinyTokenizer(r.seed);
  const tokenizer = tokenizerFromJson(tok.tokenizerJson, tok.tokenizerConfig, r.id);
  const eosId = tokenizer.eosId as number;
  const configJson = hfConfig(r, tok.vocabSize, eosId);
  const config = parseConfig(configJson, `${r.id}/config.json`);
  const rng = new Rng(r.seed);
  const shapes = expectedParams(gpt2Architecture(config, 'transformer.'));
  const initial = initWeights(shapes, r.nLayer, rng.fork());
  const model = modelFromWeights(r.id, config, initial);

  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  for (const [name, w] of model.weights) store.add(name, model.shapes.get(name) as number[], w, true);
  const g = new Graph();
  const { nll } = buildSequenceStats(g, model, { B: r.batchSize, T: r.seqLen, reductions: ['nll'] });
  const train = compileTrainStep(g, nll as NonNullable<typeof nll>, [], backend, store);

  const { train: trainSpecs, test } = splitSpecs(r.seed, r.testFraction);
  const dataRng = rng.fork();
  const t0 = performance.now();
  let ema = Number.NaN;
  for (let step = 0; step < r.steps; step++) {
    const rows = Array.from({ length: r.batchSize }, () => {
      const ex = sftExample(trainSpecs, r, dataRng);
      return encodePair(tokenizer, ex.instruction, ex.response, { mode: 'joint', maxLength: r.seqLen });
    });
    const feeds = feedsFor(g, sequenceFeeds(padRows(rows, tokenizer.padId, r.seqLen)));
    const lr = lrAt(step, { schedule: 'cosine', lr: r.lr, warmupSteps: r.warmupSteps, totalSteps: r.steps });
    const res = await train.step(feeds, { ...ADAMW_DEFAULTS, lr, weightDecay: r.weightDecay });
    ema = Number.isNaN(ema) ? res.loss : 0.95 * ema + 0.05 * res.loss;
    if (step % 25 === 0 || step === r.steps - 1) {
      log(
        `step ${step}/${r.steps} loss ${res.loss.toFixed(3)} (ema ${ema.toFixed(3)}) lr ${lr.toExponential(2)} ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  train.dispose();

  const trained = await store.readAll();
  const names = [...shapes.keys()].sort();
  const safetensors = writeSafetensors(
    names.map((n) => [n, { shape: shapes.get(n) as number[], data: trained.get(n) as Float32Array }]),
    { format: 'pt' },
  );
  const params = names.reduce((s, n) => s + (trained.get(n) as Float32Array).length, 0);
  return {
    configJson,
    safetensors,
    tokenizerJson: tok.tokenizerJson,
    tokenizerConfig: tok.tokenizerConfig,
    tokenizer,
    model: modelFromWeights(r.id, config, trained),
    params,
    trainSeconds,
    finalLoss: ema,
    test,
  };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Writes the model folder in the Hugging Face layout, with its card. */
export function writeModelFolder(out: string, r: TinyRecipe, m: TinyModel, ev: OracleEval | null): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(m.configJson, null, 2)}\n`);
  writeFileSync(join(out, 'model.safetensors'), m.safetensors);
  writeFileSync(join(out, 'tokenizer.json'), `${JSON.stringify(m.tokenizerJson, null, 2)}\n`);
  writeFileSync(join(out, 'tokenizer_config.json'), `${JSON.stringify(m.tokenizerConfig, null, 2)}\n`);
  writeFileSync(join(out, 'README.md'), modelCard(r, m, ev));
}

async function main(argv: string[]): Promise<void> {
  const name = arg(argv, '--recipe') ?? TINY_2_RECIPE.id;
  const base = TINY_RECIPES[name];
  if (!base) throw new Error(`--recipe ${name}: unknown; the recipes are ${Object.keys(TINY_RECIPES).join(', ')}`);
  const out = arg(argv, '--out') ?? `public/models/${base.id}`;
  const recipe: TinyRecipe = {
    ...base,
    seed: Number(arg(argv, '--seed') ?? base.seed),
    steps: Number(arg(argv, '--steps') ?? base.steps),
  };
  const m = await makeTinyModel(recipe, (line) => console.log(line));
  console.log(
    `${m.params} params, ${m.safetensors.length} bytes, SFT ${m.trainSeconds.toFixed(1)} s, final loss ${m.finalLoss.toFixed(3)}`,
  );
  let ev: OracleEval | null = null;
  if (!argv.includes('--no-eval')) {
    const t0 = performance.now();
    ev = await evaluateTiny(m.model, m.tokenizer, m.test, recipe.seed);
    console.log(
      `oracle mean score on ${m.test.length} held-out instructions: greedy ${ev.greedy.toFixed(3)}, sampled (T=0.7) ${ev.sampled.toFixed(3)}; perfect answers: greedy ${ev.perfectGreedy.toFixed(3)}, sampled ${ev.perfectSampled.toFixed(3)}; greedy answers repeating an item ${ev.duplicatesGreedy.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    for (const e of ev.examples) console.log(`  ${e.instruction}\n    greedy:  ${e.greedy}\n    sampled: ${e.sampled}`);
  }
  writeModelFolder(out, recipe, m, ev);
  console.log(`wrote ${out}/`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv.slice(2));
}
