/**
 * LoRA adapters, laid out exactly as PEFT does so adapters move freely between Orchard and
 * PEFT/transformers:
 * - a target linear layer `M` gets `base_model.model.M.lora_A.weight` [r, in] and
 *   `base_model.model.M.lora_B.weight` [out, r]; y = base(x) + (alpha / r) * x A^T B^T
 *   (alpha / sqrt(r) with use_rslora);
 * - A starts as PEFT's nn.Linear default (kaiming_uniform with a = sqrt(5), i.e. U(-1/sqrt(in),
 *   1/sqrt(in))), drawn from Orchard's seeded Rng; B starts at zero, so a fresh adapter changes
 *   nothing;
 * - files: adapter_model.safetensors + adapter_config.json;
 * - merging adds scaling * B A to W ([out, in]), transposed for GPT-2's Conv1D (fan_in_fan_out).
 * Module paths are PEFT's, i.e. the module names of the *LM-head* model (GPT-2's
 * "transformer.h.0.attn.c_attn" even when the weight file stores "h.0.attn.c_attn.weight").
 * - dropout (PEFT's lora_dropout) on the adapter's input while training: B A dropout(x); the mask
 *   comes from the dropout op's seed, an i32 input named LORA_DROPOUT_SEED that the training loop
 *   feeds per micro-batch. Graphs built without `training` (generation, reference, eval) have none.
 */
import type { Rng } from './random.ts';
import { readSafetensors, type Tensor, writeSafetensors } from './safetensors.ts';

export interface LoraConfig {
  r: number;
  alpha: number;
  /** PEFT semantics: a list matches a module equal to an entry or ending in "." + entry; a string is a full-match regex. */
  targetModules: string[] | string;
  useRslora?: boolean;
  /** PEFT's lora_dropout: the probability an adapter input element is dropped while training (default 0). */
  dropout?: number;
}

/** The graph input the training loop feeds the LoRA dropout seed through (i32 [1]). */
export const LORA_DROPOUT_SEED = 'lora_dropout_seed';

/** The paper's default (q, k, v): GPT-2 fuses them into c_attn. */
export function defaultTargetModules(arch: 'gpt2' | 'llama'): string[] {
  return arch === 'gpt2' ? ['c_attn'] : ['q_proj', 'k_proj', 'v_proj'];
}

export function loraScaling(c: LoraConfig): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

export function targetsModule(module: string, targets: string[] | string): boolean {
  if (typeof targets === 'string') return new RegExp(`^(?:${targets})$`).test(module);
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

export function loraParamNames(module: string): { A: string; B: string } {
  return { A: `base_model.model.${module}.lora_A.weight`, B: `base_model.model.${module}.lora_B.weight` };
}

/** A target layer as the model describes it (see LoadedModel.linearModules). */
export interface LoraTarget {
  module: string;
  /** Name of the base weight in the model's weight map. */
  weight: string;
  inFeatures: number;
  outFeatures: number;
  layout: 'conv1d' | 'linear';
}

export function selectTargets(linears: readonly LoraTarget[], c: LoraConfig): LoraTarget[] {
  const hit = linears.filter((l) => targetsModule(l.module, c.targetModules));
  if (hit.length === 0) {
    const examples = linears.slice(0, 4).map((l) => l.module);
    throw new Error(
      `LoRA target_modules ${JSON.stringify(c.targetModules)} match no linear layer; module names look like ${examples.join(', ')}`,
    );
  }
  return hit;
}

/** Fresh adapter weights (A kaiming-uniform, B zero), in target order. */
export function initLoraWeights(targets: readonly LoraTarget[], c: LoraConfig, rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of targets) {
    const names = loraParamNames(t.module);
    const bound = 1 / Math.sqrt(t.inFeatures);
    const a = new Float32Array(c.r * t.inFeatures);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    out.set(names.A, a);
    out.set(names.B, new Float32Array(t.outFeatures * c.r));
  }
  return out;
}

export interface AdapterFiles {
  'adapter_model.safetensors': Uint8Array;
  'adapter_config.json': string;
}

/** The two PEFT files for an adapter. */
export function saveAdapter(
  c: LoraConfig,
  targets: readonly LoraTarget[],
  weights: ReadonlyMap<string, Float32Array>,
  baseModelNameOrPath: string,
): AdapterFiles {
  const tensors: [string, Tensor][] = [];
  for (const t of targets) {
    const names = loraParamNames(t.module);
    tensors.push([names.A, { shape: [c.r, t.inFeatures], data: need(weights, names.A) }]);
    tensors.push([names.B, { shape: [t.outFeatures, c.r], data: need(weights, names.B) }]);
  }
  const config = {
    base_model_name_or_path: baseModelNameOrPath,
    bias: 'none',
    fan_in_fan_out: targets.some((t) => t.layout === 'conv1d'),
    inference_mode: true,
    init_lora_weights: true,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout ?? 0,
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    target_modules: c.targetModules,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: c.useRslora ?? false,
  };
  return {
    'adapter_model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
    'adapter_config.json': `${JSON.stringify(config, null, 2)}\n`,
  };
}

/** Parses PEFT files; rejects PEFT features Orchard does not implement, naming the field. */
export function loadAdapter(files: { config: string; safetensors: Uint8Array }): {
  config: LoraConfig;
  baseModelNameOrPath: string | null;
  weights: Map<string, Float32Array>;
} {
  const where = 'adapter_config.json';
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(files.config);
  } catch (err) {
    throw new Error(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  const reject = (field: string, bad: boolean) => {
    if (bad) throw new Error(`${where}: ${field} = ${JSON.stringify(raw[field])} is not supported by Orchard`);
  };
  reject('peft_type', raw.peft_type !== 'LORA');
  reject('use_dora', raw.use_dora === true);
  reject('bias', raw.bias !== undefined && raw.bias !== 'none');
  reject('modules_to_save', Array.isArray(raw.modules_to_save) && raw.modules_to_save.length > 0);
  reject('rank_pattern', isNonEmptyObject(raw.rank_pattern));
  reject('alpha_pattern', isNonEmptyObject(raw.alpha_pattern));
  const r = raw.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0)
    throw new Error(`${where}: r must be a positive integer (got ${JSON.stringify(r)})`);
  const targets = raw.target_modules;
  if (!(typeof targets === 'string' || (Array.isArray(targets) && targets.every((t) => typeof t === 'string')))) {
    throw new Error(`${where}: target_modules must be a list of module names or a regex string`);
  }
  const config: LoraConfig = {
    r,
    alpha: typeof raw.lora_alpha === 'number' ? raw.lora_alpha : 8,
    targetModules: targets as string[] | string,
    useRslora: raw.use_rslora === true,
  };
  const { tensors } = readSafetensors(files.safetensors, 'adapter_model.safetensors');
  const weights = new Map<string, Float32Array>();
  for (const [name, t] of tensors) {
    // PEFT writes adapter names without ".default"; older files may still carry it.
    weights.set(
      name.replace('.lora_A.default.weight', '.lora_A.weight').replace('.lora_B.default.weight', '.lora_B.weight'),
      t.data,
    );
  }
  const base = typeof raw.base_model_name_or_path === 'string' ? raw.base_model_name_or_path : null;
  return { config, baseModelNameOrPath: base, weights };
}

/**
 * Base weights with every adapter folded in: W += scaling * B A (W^T for Conv1D). Returns a new
 * map; untouched weights are shared, merged ones copied.
 */
export function mergeLora(
  base: ReadonlyMap<string, Float32Array>,
  targets: readonly LoraTarget[],
  c: LoraConfig,
  adapter: ReadonlyMap<string, Float32Array>,
): Map<string, Float32Array> {
  const out = new Map(base);
  const s = loraScaling(c);
  for (const t of targets) {
    const names = loraParamNames(t.module);
    const A = need(adapter, names.A);
    const B = need(adapter, names.B);
    const { inFeatures: nIn, outFeatures: nOut } = t;
    if (A.length !== c.r * nIn || B.length !== nOut * c.r) {
      throw new Error(`LoRA adapter for ${t.module} has the wrong size for r = ${c.r}, in = ${nIn}, out = ${nOut}`);
    }
    const W = Float32Array.from(need(base, t.weight));
    for (let o = 0; o < nOut; o++) {
      for (let i = 0; i < nIn; i++) {
        let d = 0;
        for (let k = 0; k < c.r; k++) d += B[o * c.r + k] * A[k * nIn + i];
        W[t.layout === 'conv1d' ? i * nOut + o : o * nIn + i] += s * d;
      }
    }
    out.set(t.weight, W);
  }
  return out;
}

function need(m: ReadonlyMap<string, Float32Array>, name: string): Float32Array {
  const v = m.get(name);
  if (!v) throw new Error(`LoRA: missing tensor "${name}"`);
  return v;
}

function isNonEmptyObject(x: unknown): boolean {
  return typeof x === 'object' && x !== null && Object.keys(x).length > 0;
}
