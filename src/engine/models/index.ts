/**
 * Models from Hugging Face files: config.json + model.safetensors (or a sharded
 * model.safetensors.index.json). `loadModel` checks every parameter the graph needs against the
 * file (names and shapes), decodes F32/F16/BF16 to f32, and returns builders for the graph.
 *
 * Files come through `ModelFiles` so the same loader runs in the browser (fetch, File objects)
 * and in Node (files-node.ts).
 */
import { Graph, type Node } from '../graph.ts';
import type { LoraTarget } from '../lora.ts';
import { numel, shapeEq } from '../ops.ts';
import { checkFinite, readHeader, readSafetensors, type Tensor } from '../safetensors.ts';
import type { Architecture } from './architecture.ts';
import { type Arch, type ModelConfig, parseConfig } from './config.ts';
import { checkConfigAgainstShapes } from './config-bounds.ts';
import { gpt2Architecture } from './gpt2.ts';
import { type BuildOptions, buildContext } from './layers.ts';
import { llamaArchitecture } from './llama.ts';

export type { Arch, ModelConfig } from './config.ts';
export type { BuildOptions } from './layers.ts';

export interface ModelFiles {
  /** Shown in errors and written as base_model_name_or_path. */
  name: string;
  /** A file's bytes by its path inside the model folder, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
}

export interface LoadedModel {
  name: string;
  config: ModelConfig;
  arch: Arch;
  /** Every parameter, under the names the weight file uses. */
  weights: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
  /** Linear layers that LoRA can target, with their PEFT module paths. */
  linearModules(): LoraTarget[];
  /** ids [B, T] i32, keyMask [B, T] f32 -> final hidden states [B, T, D]. */
  buildHidden(g: Graph, ids: Node, keyMask: Node, opts?: BuildOptions): Node;
  /** ids [B, T] i32, keyMask [B, T] f32 -> logits [B, T, V]. */
  buildLogits(g: Graph, ids: Node, keyMask: Node, opts?: BuildOptions): Node;
}

/**
 * Reads config.json and the weights from a Hugging Face model folder. Order matters: the config's
 * sizes are bounded (parseConfig) and checked against the files' tensor shapes (headers only)
 * before anything is decoded or a graph is built; decoded weights must be finite.
 */
export async function loadModel(files: ModelFiles): Promise<LoadedModel> {
  const configBytes = await files.read('config.json');
  if (!configBytes) throw new Error(`${files.name}: no config.json; is this a Hugging Face model folder?`);
  const config = parseConfig(parseJson(configBytes, `${files.name}/config.json`), `${files.name}/config.json`);
  const weightFiles = await readWeightFiles(files);
  const shapes = new Map<string, number[]>();
  for (const f of weightFiles) for (const [t, info] of readHeader(f.bytes, f.where).tensors) shapes.set(t, info.shape);
  checkConfigAgainstShapes(files.name, config, shapes);
  const tensors = new Map<string, Tensor>();
  for (const f of weightFiles) {
    const decoded = readSafetensors(f.bytes, f.where).tensors;
    checkFinite(decoded, f.where);
    for (const [t, tensor] of decoded) tensors.set(t, tensor);
  }
  return modelFromTensors(files.name, config, tensors);
}

/** model.safetensors, or every shard listed in model.safetensors.index.json (confined to the folder). */
async function readWeightFiles(files: ModelFiles): Promise<{ where: string; bytes: Uint8Array }[]> {
  const single = await files.read('model.safetensors');
  if (single) return [{ where: `${files.name}/model.safetensors`, bytes: single }];
  const indexBytes = await files.read('model.safetensors.index.json');
  if (!indexBytes) {
    throw new Error(
      `${files.name}: no model.safetensors or model.safetensors.index.json (pytorch_model.bin is not supported; convert it to safetensors)`,
    );
  }
  const indexName = `${files.name}/model.safetensors.index.json`;
  const index = parseJson(indexBytes, indexName) as { weight_map?: unknown };
  const map = index?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${indexName} has no weight_map`);
  // Check every name before reading any file: a hostile index must not make us read (or echo) outside the folder.
  for (const [tensor, shard] of Object.entries(map)) checkShardName(indexName, tensor, shard);
  const out: { where: string; bytes: Uint8Array }[] = [];
  for (const shard of new Set(Object.values(map) as string[])) {
    const bytes = await files.read(shard);
    if (!bytes) throw new Error(`${files.name}: shard ${shard} named in model.safetensors.index.json is missing`);
    out.push({ where: `${files.name}/${shard}`, bytes });
  }
  return out;
}

/** A shard is a .safetensors file inside the model folder: relative, no "..", "." or empty segments. */
function checkShardName(indexName: string, tensor: string, shard: unknown): asserts shard is string {
  const ok =
    typeof shard === 'string' &&
    shard.endsWith('.safetensors') &&
    !shard.startsWith('/') &&
    !shard.includes('\\') &&
    !/^[a-z][a-z0-9+.-]*:/i.test(shard) &&
    shard.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
  if (!ok) {
    throw new Error(
      `${indexName}: tensor "${tensor}" maps to ${JSON.stringify(shard).slice(0, 200)}, which is not a .safetensors file inside the model folder; shard names must be relative paths without ".." (e.g. "model-00001-of-00002.safetensors")`,
    );
  }
}

/** Builds a model from already-decoded tensors (file names), checking them against the graph. */
export function modelFromTensors(name: string, config: ModelConfig, tensors: ReadonlyMap<string, Tensor>): LoadedModel {
  checkConfigAgainstShapes(name, config, new Map([...tensors].map(([t, { shape }]) => [t, shape])));
  const architecture = pickArchitecture(name, config, tensors);
  const expected = expectedParams(architecture);
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const [pname, shape] of expected) {
    const t = tensors.get(pname);
    if (!t) {
      const near = [...tensors.keys()].slice(0, 3).join(', ');
      throw new Error(`${name}: weight "${pname}" is missing from the safetensors file (it has e.g. ${near})`);
    }
    if (!shapeEq(t.shape, shape)) {
      throw new Error(`${name}: weight "${pname}" has shape [${t.shape}] but config.json implies [${shape}]`);
    }
    weights.set(pname, t.data);
    shapes.set(pname, shape);
  }
  for (const fileName of tensors.keys()) {
    if (!expected.has(fileName) && !isIgnorable(fileName, config)) {
      throw new Error(
        `${name}: the weight file has "${fileName}", which a ${config.modelType} model with this config.json does not use; check model_type and tie_word_embeddings`,
      );
    }
  }
  return assemble(name, config, architecture, weights, shapes);
}

/** Builds a model from a config and a full weight map (e.g. after merging LoRA or training). */
export function modelFromWeights(
  name: string,
  config: ModelConfig,
  weights: ReadonlyMap<string, Float32Array>,
): LoadedModel {
  const prefix = weights.has('wte.weight') ? '' : 'transformer.';
  const architecture = config.arch === 'gpt2' ? gpt2Architecture(config, prefix) : llamaArchitecture(config);
  const expected = expectedParams(architecture);
  const shapes = new Map<string, number[]>();
  const ws = new Map<string, Float32Array>();
  for (const [pname, shape] of expected) {
    const w = weights.get(pname);
    if (!w || w.length !== numel(shape))
      throw new Error(`${name}: weight "${pname}" missing or not of shape [${shape}]`);
    ws.set(pname, w);
    shapes.set(pname, shape);
  }
  return assemble(name, config, architecture, ws, shapes);
}

/** Every parameter of the LM graph with its shape, straight from the builder (one source of truth). */
export function expectedParams(architecture: Architecture): Map<string, number[]> {
  const g = new Graph();
  const ids = g.input('ids', [1, 1], 'i32');
  const keyMask = g.input('keyMask', [1, 1]);
  const ctx = buildContext(g);
  architecture.logits(ctx, architecture.hidden(ctx, ids, keyMask));
  return new Map(g.params().map((p) => [p.attrs.name, [...p.shape]]));
}

function assemble(
  name: string,
  config: ModelConfig,
  architecture: Architecture,
  weights: Map<string, Float32Array>,
  shapes: Map<string, number[]>,
): LoadedModel {
  return {
    name,
    config,
    arch: config.arch,
    weights,
    shapes,
    linearModules: () =>
      architecture.linears().map((l) => ({
        module: l.module,
        weight: l.weight,
        inFeatures: l.inFeatures,
        outFeatures: l.outFeatures,
        layout: l.layout,
      })),
    buildHidden: (g, ids, keyMask, opts) => architecture.hidden(buildContext(g, opts), ids, keyMask),
    buildLogits: (g, ids, keyMask, opts) => {
      const ctx = buildContext(g, opts);
      return architecture.logits(ctx, architecture.hidden(ctx, ids, keyMask));
    },
  };
}

/** GPT-2 files store weights with or without the "transformer." prefix of GPT2LMHeadModel. */
function pickArchitecture(name: string, config: ModelConfig, tensors: ReadonlyMap<string, Tensor>): Architecture {
  if (config.arch === 'llama') return llamaArchitecture(config);
  if (tensors.has('transformer.wte.weight')) return gpt2Architecture(config, 'transformer.');
  if (tensors.has('wte.weight')) return gpt2Architecture(config, '');
  throw new Error(
    `${name}: config.json says gpt2, but the weight file has neither "transformer.wte.weight" nor "wte.weight"`,
  );
}

/** Buffers that old checkpoints store, and a duplicated tied LM head. */
function isIgnorable(fileName: string, config: ModelConfig): boolean {
  if (config.tieEmbeddings && fileName === 'lm_head.weight') return true;
  if (config.arch === 'gpt2') return /(^|\.)attn\.(bias|masked_bias)$/.test(fileName);
  return fileName.endsWith('.rotary_emb.inv_freq');
}

function parseJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${where} is not valid JSON: ${(err as Error).message}`);
  }
}
