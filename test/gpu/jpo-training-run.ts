/**
 * The JPO training run the WebGPU-vs-CPU training tests compare: forward, backward, clipping and
 * AdamW for a few steps on one fixed batch. Shared by the Node test (test/gpu/webgpu-training.test.ts)
 * and the browser worker (test/browser/webgpu-kernels/training.ts), so no Node imports here.
 */
import type { Backend } from '../../src/engine/backend.ts';
import { Graph } from '../../src/engine/graph.ts';
import { feedsFor, type HostBatch, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { initLoraWeights, type LoraConfig, selectTargets } from '../../src/engine/lora.ts';
import type { LoadedModel } from '../../src/engine/models/index.ts';
import { buildPreferenceGraph, REF_INPUTS } from '../../src/engine/objectives/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { ADAMW_DEFAULTS, compileTrainStep } from '../../src/engine/session.ts';

/**
 * AdamW with eps = 1e-4 rather than 1e-8: some gradients are exactly zero in exact arithmetic
 * (GPT-2's key bias: softmax ignores a per-query constant) and only rounding noise (~1e-9) in f32.
 * With a tiny eps, AdamW turns that noise into full +-lr steps whose signs differ between any two
 * implementations; eps = 1e-4 keeps such updates negligible while real gradients still train.
 */
export const JPO_TRAIN_HYPER = { ...ADAMW_DEFAULTS, lr: 2e-2, weightDecay: 0.01, eps: 1e-4 };

/** 2P rows (P chosen, then P rejected) with joint label masks, and the reference log-probs of each side. */
export interface PreferenceBatch {
  readonly batch: HostBatch;
  readonly pairs: number;
  readonly refChosen: Float32Array;
  readonly refRejected: Float32Array;
}

export interface TrainRun {
  losses: number[];
  gradNorms: number[];
  /** The trainable parameters after the last step, in graph order. */
  weights: Map<string, Float32Array>;
  launches: number;
}

/** LoRA on every linear layer (attention and MLP), rank 4. */
export function loraOnEveryLinear(model: LoadedModel): LoraConfig {
  return { r: 4, alpha: 8, targetModules: model.linearModules().map((l) => l.module) };
}

/** `steps` JPO updates of `model` (all weights, or LoRA adapters when `lora` is set) on `backend`. */
export async function trainJpo(
  backend: Backend,
  model: LoadedModel,
  lora: LoraConfig | undefined,
  data: PreferenceBatch,
  steps: number,
  hyper = JPO_TRAIN_HYPER,
): Promise<TrainRun> {
  const { batch, pairs: P } = data;
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs: P, T: batch.T, objective: 'jpo', build: { lora } });
  const init = new Map(model.weights);
  if (lora)
    for (const [k, v] of initLoraWeights(selectTargets(model.linearModules(), lora), lora, new Rng(5))) init.set(k, v);
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => init.get(n) as Float32Array);
  const trainable = g
    .params()
    .filter((p) => p.attrs.trainable)
    .map((p) => p.attrs.name);
  const step = compileTrainStep(g, pg.loss, [], backend, store, { trainable });
  // nllRows = the chosen rows, as buildPreferenceGraph documents (JPO itself uses no NLL term).
  const feeds = sequenceFeeds(
    batch,
    Array.from({ length: P }, (_, i) => i),
  );
  feeds[REF_INPUTS.chosen] = data.refChosen;
  feeds[REF_INPUTS.rejected] = data.refRejected;
  const losses: number[] = [];
  const gradNorms: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const r = await step.step(feedsFor(g, feeds), hyper);
      losses.push(r.loss);
      gradNorms.push(r.gradNorm as number);
    }
    const weights = new Map<string, Float32Array>();
    for (const name of trainable) weights.set(name, (await backend.read(store.get(name).tensor)) as Float32Array);
    return { losses, gradNorms, weights, launches: step.stats.launchesPerUpdateStep };
  } finally {
    step.dispose();
  }
}

/** max_i |a_i - b_i| / max_i |b_i|: error relative to the reference's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

export interface RunAgreement {
  /** Worst per-step |loss - reference loss| / |reference loss|. */
  worstLoss: number;
  /** Worst relErr over the trained parameters. */
  worstWeight: number;
  /** One line per step or parameter beyond `tol`, or per parameter missing from either side. */
  problems: string[];
}

/** How far a training run (losses, final weights) is from the reference run, e.g. WebGPU vs CPU. */
export function compareRuns(
  got: { losses: readonly number[]; weights: ReadonlyMap<string, ArrayLike<number>> },
  want: { losses: readonly number[]; weights: ReadonlyMap<string, ArrayLike<number>> },
  tol = 1e-4,
): RunAgreement {
  const problems: string[] = [];
  let worstLoss = 0;
  if (got.losses.length !== want.losses.length)
    problems.push(`${got.losses.length} losses vs the reference's ${want.losses.length}`);
  for (let s = 0; s < want.losses.length; s++) {
    const rel = Math.abs(got.losses[s] - want.losses[s]) / Math.abs(want.losses[s]);
    worstLoss = Math.max(worstLoss, rel);
    if (!(rel <= tol)) problems.push(`step ${s}: loss ${got.losses[s]} vs reference ${want.losses[s]} (rel ${rel})`);
  }
  let worstWeight = 0;
  for (const [name, w] of want.weights) {
    const g = got.weights.get(name);
    if (!g) {
      problems.push(`${name}: missing from the run`);
      continue;
    }
    const err = relErr(g, w);
    worstWeight = Math.max(worstWeight, err);
    if (!(err <= tol)) problems.push(`${name}: trained weights differ from the reference's (rel ${err})`);
  }
  for (const name of got.weights.keys()) if (!want.weights.has(name)) problems.push(`${name}: not in the reference`);
  return { worstLoss, worstWeight, problems };
}
