/**
 * Makes the bundled tiny model, public/models/orchard-tiny, with Orchard's own engine on the CPU
 * backend: trains the tokenizer (train-tokenizer.ts), initializes a small GPT-2 from the seed as
 * transformers does, then runs SFT on Apples & Oranges answers of which only some are correct, so
 * the model writes plausible lists with frequent mistakes (room for DPO/JPO to improve). Finally it
 * samples answers to held-out instructions and reports the oracle's mean score.
 *
 *   npm run make:tiny-model [-- --out DIR] [-- --seed N] [-- --steps N] [-- --no-eval]
 *
 * Deterministic: same recipe and seed, same bytes (the CPU backend is deterministic and every
 * random choice draws from the seeded Rng).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodePair, formatPrompt, PAPER_TEMPLATE } from '../src/data/sequence.ts';
import {
  flawedAnswers,
  type ListSpec,
  referenceAnswer,
  renderInstruction,
  scoreSpec,
  splitSpecs,
} from '../src/data/tasks/apples.ts';
import { type Tokenizer, tokenizerFromJson } from '../src/data/tokenizer.ts';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { Generator } from '../src/engine/generate.ts';
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
import { TINY_MAX_LENGTH, trainTinyTokenizer } from './train-tokenizer.ts';

export interface TinyRecipe {
  seed: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nPositions: number;
  /** SFT optimizer updates, rows per update, padded length of every batch. */
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  /** Share of SFT answers that are correct. */
  correctFraction: number;
  /**
   * Share of SFT answers that are correct but one item too long: the model's habit, which preference
   * training can see and fix. The rest carry one flaw each (apples.ts flawedAnswers).
   */
  extraItemFraction: number;
  /** Held-out share of the task's instructions (never trained on; used for the evaluation). */
  testFraction: number;
}

export const TINY_RECIPE: TinyRecipe = {
  seed: 1,
  nEmbd: 128,
  nLayer: 4,
  nHead: 4,
  nPositions: TINY_MAX_LENGTH,
  steps: 600,
  batchSize: 16,
  seqLen: 36,
  lr: 3e-3,
  warmupSteps: 20,
  weightDecay: 0.01,
  // A habit above one half makes the greedy answer wrong by default, and the samples then hold both
  // the habit and correct answers: pairs that show preference training what to change. With mistakes
  // spread thinly over every flaw (0.55 correct, the rest uniform), greedy answers were already 90%
  // right and DPO/JPO on sampled pairs only lowered them.
  correctFraction: 0.35,
  extraItemFraction: 0.55,
  testFraction: 0.2,
};

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

/** One SFT row: a training instruction with a correct answer (correctFraction of the time) or a flawed one. */
function sftExample(train: readonly ListSpec[], r: TinyRecipe, rng: Rng): { instruction: string; response: string } {
  const spec = train[rng.int(train.length)];
  const u = rng.next();
  let response: string;
  if (u < r.correctFraction) response = referenceAnswer(spec, rng);
  else if (u < r.correctFraction + r.extraItemFraction && spec.count !== null) {
    response = referenceAnswer({ ...spec, count: spec.count + 1 }, rng);
  } else {
    const answers = flawedAnswers(spec, rng);
    response = answers[rng.int(answers.length)].response;
  }
  return { instruction: renderInstruction(spec), response };
}

export async function makeTinyModel(r: TinyRecipe, log: (line: string) => void = () => {}): Promise<TinyModel> {
  const tok = trainTinyTokenizer(r.seed);
  const tokenizer = tokenizerFromJson(tok.tokenizerJson, tok.tokenizerConfig, 'orchard-tiny');
  const eosId = tokenizer.eosId as number;
  const configJson = hfConfig(r, tok.vocabSize, eosId);
  const config = parseConfig(configJson, 'orchard-tiny/config.json');
  const rng = new Rng(r.seed);
  const shapes = expectedParams(gpt2Architecture(config, 'transformer.'));
  const initial = initWeights(shapes, r.nLayer, rng.fork());
  const model = modelFromWeights('orchard-tiny', config, initial);

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
    model: modelFromWeights('orchard-tiny', config, trained),
    params,
    trainSeconds,
    finalLoss: ema,
    test,
  };
}

export interface OracleEval {
  /** Mean oracle score. */
  greedy: number;
  sampled: number;
  /** Share of answers with every constraint met (score 1). */
  perfectGreedy: number;
  perfectSampled: number;
  examples: { instruction: string; greedy: string; sampled: string }[];
}

/** Mean oracle score of greedy and sampled (temperature 0.7) answers to the given instructions. */
export async function evaluateTiny(
  model: LoadedModel,
  tokenizer: Tokenizer,
  specs: readonly ListSpec[],
  seed: number,
  batchSize = 16,
): Promise<OracleEval> {
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  for (const [name, w] of model.weights) store.add(name, model.shapes.get(name) as number[], w, false);
  const gen = new Generator(model, store);
  const totals = { greedy: 0, sampled: 0, perfectGreedy: 0, perfectSampled: 0 };
  const examples: OracleEval['examples'] = [];
  for (let i = 0; i < specs.length; i += batchSize) {
    const batch = specs.slice(i, i + batchSize);
    const prompts = batch.map((s) => [
      tokenizer.bosId as number,
      ...tokenizer.encode(formatPrompt(tokenizer, renderInstruction(s), PAPER_TEMPLATE)),
    ]);
    const common = { maxNewTokens: 32, stopIds: [tokenizer.eosId], padId: tokenizer.padId };
    const greedy = await gen.generate(prompts, common);
    const sampled = await gen.generate(prompts, { ...common, temperature: 0.7, seed: seed + i });
    batch.forEach((spec, b) => {
      const text = (ids: number[]) => tokenizer.decode(ids.filter((id) => id !== tokenizer.eosId)).trim();
      const g = text(greedy.tokens[b]);
      const s = text(sampled.tokens[b]);
      const sg = scoreSpec(spec, g).score;
      const ss = scoreSpec(spec, s).score;
      totals.greedy += sg;
      totals.sampled += ss;
      totals.perfectGreedy += sg === 1 ? 1 : 0;
      totals.perfectSampled += ss === 1 ? 1 : 0;
      if (examples.length < 6) examples.push({ instruction: renderInstruction(spec), greedy: g, sampled: s });
    });
  }
  gen.dispose();
  const n = specs.length;
  return {
    greedy: totals.greedy / n,
    sampled: totals.sampled / n,
    perfectGreedy: totals.perfectGreedy / n,
    perfectSampled: totals.perfectSampled / n,
    examples,
  };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The model card (README.md): what the model is for, how it was made, and how it scores. */
export function modelCard(r: TinyRecipe, m: TinyModel, ev: OracleEval | null): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const mb = (m.safetensors.length / 1024 / 1024).toFixed(1);
  const score = ev
    ? [
        `Oracle (\`scoreSpec\` in src/data/tasks/apples.ts) mean score on the ${m.test.length} held-out instructions,`,
        'at most 32 new tokens:',
        '',
        `- greedy: **${ev.greedy.toFixed(3)}** (${pct(ev.perfectGreedy)} of answers meet every constraint)`,
        `- sampled, temperature 0.7: **${ev.sampled.toFixed(3)}** (${pct(ev.perfectSampled)} perfect)`,
        '',
        'Examples (held-out instructions):',
        '',
        ...ev.examples.flatMap((e) => [`- *${e.instruction}*`, `  - greedy: ${e.greedy}`, `  - sampled: ${e.sampled}`]),
      ].join('\n')
    : 'Not evaluated (made with --no-eval).';
  return `---
library_name: orchard
tags: [gpt2, tiny, apples-and-oranges, dpo, jpo]
---

# orchard-tiny

A ${(m.params / 1e6).toFixed(2)}M-parameter GPT-2 (${r.nLayer} layers, ${r.nHead} heads, n_embd ${r.nEmbd}, context ${r.nPositions},
vocabulary ${m.model.config.vocabSize}; ${mb} MB of f32 weights) trained from scratch by Orchard's own engine, so the
lab has a model that loads in a second and trains DPO/JPO live in the browser. It answers Apples & Oranges list
instructions in the paper's template

    ### Instructions: Create a list of four fruits other than Apple

    ### Response: Orange, Kiwi, Banana, Grape<|endoftext|>

with plausible lists and a habit: more often than not it lists **one item too many**. It also makes the other
mistakes of the task now and then (a repeated item, the excluded item, an item of another category...). The habit
leaves preference optimization room to improve: the model's own samples hold both the habit and correct
answers, and those pairs are what DPO and JPO learn from. It is a classroom model, not a language model:
outside this task it produces nonsense.

## How it was made

\`npm run make:tiny-model\` (scripts/make-tiny-model.ts), deterministic from **seed ${r.seed}**: the same script
and seed give the same bytes.

- **Tokenizer**: byte-level BPE (GPT-2's scheme: ByteLevel pre-tokenizer and decoder, so any text round-trips),
  trained by scripts/train-tokenizer.ts on every instruction of the task generator in the paper template with a
  reference answer and every flawed answer. \`<|endoftext|>\` (id ${m.tokenizer.eosId}) is BOS, EOS and padding.
- **Init**: as transformers initializes GPT-2 (N(0, 0.02) weights, N(0, 0.02/sqrt(2 n_layer)) residual
  projections, zero biases, unit LayerNorms), from the seeded generator.
- **Data**: instructions of the task's training split (${Math.round((1 - r.testFraction) * 100)}% of all instructions, split
  with seed ${r.seed}; the other ${Math.round(r.testFraction * 100)}% are held out). Each row pairs an instruction with a correct
  answer (${Math.round(r.correctFraction * 100)}% of rows), with a correct answer plus one item too many
  (${Math.round(r.extraItemFraction * 100)}%: the habit), or with one of its flawed answers (the rest; one constraint
  broken each).
- **SFT**: ${r.steps} AdamW updates of ${r.batchSize} rows (${r.steps * r.batchSize} rows, padded to ${r.seqLen}
  tokens), token-mean NLL over every token after BOS (prompt and answer: JPO scores both), learning rate ${r.lr}
  with ${r.warmupSteps} warm-up steps and cosine decay, weight decay ${r.weightDecay}, gradient clipping 1, on the
  CPU backend (a few minutes on a 2-core machine). Final loss (moving average): ${m.finalLoss.toFixed(3)}.

## Evaluation

${score}

## Files

Hugging Face layout: \`config.json\` (GPT2LMHeadModel, tied embeddings), \`model.safetensors\` (F32),
\`tokenizer.json\`, \`tokenizer_config.json\`. transformers and transformers.js load them as they are.
`;
}

async function main(argv: string[]): Promise<void> {
  const out = arg(argv, '--out') ?? 'public/models/orchard-tiny';
  const recipe: TinyRecipe = {
    ...TINY_RECIPE,
    seed: Number(arg(argv, '--seed') ?? TINY_RECIPE.seed),
    steps: Number(arg(argv, '--steps') ?? TINY_RECIPE.steps),
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
      `oracle mean score on ${m.test.length} held-out instructions: greedy ${ev.greedy.toFixed(3)}, sampled (T=0.7) ${ev.sampled.toFixed(3)}; perfect answers: greedy ${ev.perfectGreedy.toFixed(3)}, sampled ${ev.perfectSampled.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    for (const e of ev.examples) console.log(`  ${e.instruction}\n    greedy:  ${e.greedy}\n    sampled: ${e.sampled}`);
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(m.configJson, null, 2)}\n`);
  writeFileSync(join(out, 'model.safetensors'), m.safetensors);
  writeFileSync(join(out, 'tokenizer.json'), `${JSON.stringify(m.tokenizerJson, null, 2)}\n`);
  writeFileSync(join(out, 'tokenizer_config.json'), `${JSON.stringify(m.tokenizerConfig, null, 2)}\n`);
  writeFileSync(join(out, 'README.md'), modelCard(recipe, m, ev));
  console.log(`wrote ${out}/`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv.slice(2));
}
