/**
 * Analytic memory of the Llama-family LoRA cases (SmolLM2-135M and Qwen2.5-0.5B shapes), printed
 * on every `npm run bench` because it needs no weights and no device: the DPO step's graph is built
 * from a shapes-only model and handed to the engine's own planner (estimateMemory), the function the
 * compiled train step allocates with, so whatever the engine does to activations (a chunked LM head,
 * fused attention) shows here as soon as the graph builder uses it.
 *
 * "f16 weights" is the same step under the spec's `precision: f16-weights` where the adapter has
 * `shader-f16`: frozen weights at 2 bytes each (the engine's paramBytes, as compileTrainStep counts
 * params the ParamStore holds as f16), everything else (LoRA adapters, their gradients and AdamW
 * state, activations) unchanged. The CPU backend only emulates f16 weights and saves nothing.
 */
import { Graph } from '../src/engine/graph.ts';
import { estimateMemory, type MemoryEstimate } from '../src/engine/memory.ts';
import { paramBytes } from '../src/engine/memory-accounting.ts';
import { type ModelConfig, parseConfig } from '../src/engine/models/config.ts';
import type { LoadedModel } from '../src/engine/models/index.ts';
import { expectedParams } from '../src/engine/models/index.ts';
import { buildContext } from '../src/engine/models/layers.ts';
import { llamaArchitecture } from '../src/engine/models/llama.ts';
import { buildPreferenceGraph } from '../src/engine/objectives/index.ts';
import { numel } from '../src/engine/ops.ts';
import { type BenchCase, CASES, type CaseId, DPO_BETA, tokensPerStep } from './cases.ts';
import { stepFlops } from './flops.ts';

/** The laptop-GPU budget the issue sets for these shapes with f16 weights. */
export const FIT_BUDGET_BYTES = 4 * 2 ** 30;
const MiB = 2 ** 20;

export const LLM_CASES: readonly CaseId[] = ['smollm2-135m-lora', 'qwen2.5-0.5b-lora'];

export interface LlmMemoryRow {
  caseId: CaseId;
  /** Sequences x tokens per step. */
  batch: string;
  params: number;
  trainableParams: number;
  /** The planner's numbers for the f32 train step. */
  f32: MemoryEstimate;
  /** Frozen weights' bytes (the part f16 weights halve). */
  frozenParamBytes: number;
  /** Total with frozen weights stored as f16 (see the top of this file). */
  f16WeightsTotalBytes: number;
  /** Analytic FLOPs of one step (flops.ts). */
  flopsPerStep: number;
  /** How long the planner took (ms): a sanity number, the row must stay fast. */
  planMs: number;
}

/** A LoadedModel with shapes and graph builders but no weights: enough to build and plan a graph. */
export function shapesOnlyModel(name: string, config: ModelConfig): LoadedModel {
  if (config.arch !== 'llama') throw new Error(`shapesOnlyModel: ${name} is ${config.arch}; only llama-family here`);
  const arch = llamaArchitecture(config);
  return {
    name,
    config,
    arch: config.arch,
    weights: new Map(),
    shapes: expectedParams(arch),
    linearModules: () =>
      arch.linears().map(({ module, weight, inFeatures, outFeatures, layout }) => ({
        module,
        weight,
        inFeatures,
        outFeatures,
        layout,
      })),
    buildHidden: (g, ids, keyMask, opts) => arch.hidden(buildContext(g, opts), ids, keyMask),
    buildLogits: (g, ids, keyMask, opts) => {
      const ctx = buildContext(g, opts);
      return arch.logits(ctx, arch.hidden(ctx, ids, keyMask));
    },
  };
}

export function llmMemoryRow(c: BenchCase): LlmMemoryRow {
  const t0 = performance.now();
  const config = parseConfig(c.config, `bench case ${c.id}`);
  const model = shapesOnlyModel(c.id, config);
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, {
    pairs: c.pairs,
    T: c.T,
    objective: 'dpo',
    params: { beta: DPO_BETA },
    build: { lora: c.lora },
  });
  const params = g.params();
  const isTrainable = (name: string) => (c.lora ? name.includes('lora_') : true);
  const trainable = params.map((p) => p.attrs.name).filter(isTrainable);
  const f32 = estimateMemory({ graph: g, outputs: [], loss: pg.loss, trainable });
  let all = 0;
  let train = 0;
  for (const p of params) {
    all += numel(p.shape);
    if (isTrainable(p.attrs.name)) train += numel(p.shape);
  }
  const frozenShapes = params.filter((p) => !isTrainable(p.attrs.name)).map((p) => p.shape);
  const frozenParamBytes = paramBytes(frozenShapes);
  const f16ParamBytes = paramBytes(
    params.map((p) => p.shape),
    frozenShapes,
  );
  const B = 2 * c.pairs;
  return {
    caseId: c.id,
    batch: `${B} x ${c.T}`,
    params: all - train,
    trainableParams: train,
    f32,
    frozenParamBytes,
    f16WeightsTotalBytes: f32.totalBytes - f32.paramBytes + f16ParamBytes,
    flopsPerStep: stepFlops(config, { B, T: c.T, lora: c.lora }).total,
    planMs: performance.now() - t0,
  };
}

export function llmMemoryRows(): LlmMemoryRow[] {
  return LLM_CASES.map((id) => llmMemoryRow(CASES[id]));
}

const mb = (b: number) => (b / MiB).toFixed(0);
const millions = (n: number) => `${(n / 1e6).toFixed(1)}M`;

export function llmMemoryTable(rows: readonly LlmMemoryRow[]): string {
  const header = [
    'model (LoRA r=8 q,v; DPO)',
    'batch',
    'params (trainable)',
    'weights MB',
    'grads + AdamW MB',
    'activations + inputs MB',
    'total f32 MB',
    'total f16 weights MB',
    'GFLOP/step',
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const body = rows.map((r) =>
    line([
      r.caseId,
      r.batch,
      `${millions(r.params)} (${millions(r.trainableParams)})`,
      mb(r.f32.paramBytes),
      mb(r.f32.gradBytes + r.f32.optimizerBytes),
      mb(r.f32.intermediateBytes + r.f32.inputBytes),
      mb(r.f32.totalBytes),
      mb(r.f16WeightsTotalBytes),
      (r.flopsPerStep / 1e9).toFixed(0),
    ]),
  );
  return [line(header), line(header.map(() => '---')), ...body].join('\n');
}

/** Tokens per step of a case, for the notes. */
export const llmTokens = (id: CaseId): number => tokensPerStep(CASES[id]);
