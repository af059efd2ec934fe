/**
 * Building blocks shared by the GPT-2 and Llama graphs: linear layers (with an optional LoRA
 * branch), head split/merge and causal self-attention. Only ops from the catalogue (ops.ts).
 */
import type { Graph, Node } from '../graph.ts';
import { LORA_DROPOUT_SEED, type LoraConfig, loraParamNames, loraScaling, targetsModule } from '../lora.ts';
import { type AttentionMode, shouldFuseAttention } from '../ops/attention/index.ts';
import type { LmHeadMode } from '../ops/lm-head/index.ts';

export interface BuildOptions {
  /** Whether the base weights get gradients (false under LoRA: only adapters train). */
  trainableBase?: boolean;
  /** Adds LoRA adapters to the linear layers whose module names match lora.targetModules. */
  lora?: LoraConfig;
  /** A training graph: LoRA dropout (lora.dropout > 0) is applied, seeded by the LORA_DROPOUT_SEED input. */
  training?: boolean;
  /** Which LM head the sequence log-prob graphs build (default 'auto': chunked for large logits, ops/lm-head). */
  lmHead?: LmHeadMode;
  /** Which attention causalAttention builds (default 'auto': fused for long sequences, ops/attention). */
  attention?: AttentionMode;
}

export interface BuildContext {
  g: Graph;
  trainableBase: boolean;
  lora?: LoraConfig;
  /** Graph names of the LoRA adapters added while building, by module. */
  adapters: Map<string, { A: string; B: string; inFeatures: number; outFeatures: number }>;
  /** Whether LoRA dropout applies (a training graph with lora.dropout > 0). */
  dropout: boolean;
  attention: AttentionMode;
}

export function buildContext(g: Graph, opts: BuildOptions = {}): BuildContext {
  const dropout = !!opts.training && (opts.lora?.dropout ?? 0) > 0;
  const attention = opts.attention ?? 'auto';
  return {
    g,
    trainableBase: opts.trainableBase ?? !opts.lora,
    lora: opts.lora,
    adapters: new Map(),
    dropout,
    attention,
  };
}

export interface LinearSpec {
  /** Graph (= file) name of the weight. */
  weight: string;
  bias?: string;
  /** PEFT module path, e.g. "transformer.h.0.attn.c_attn" or "model.layers.0.self_attn.q_proj". */
  module: string;
  inFeatures: number;
  outFeatures: number;
  /** GPT-2's Conv1D stores [in, out]; nn.Linear stores [out, in]. */
  layout: 'conv1d' | 'linear';
}

/** y = x W (+ b) (+ scaling * x A^T B^T when the module is a LoRA target). x: [..., in]. */
export function linear(ctx: BuildContext, x: Node, s: LinearSpec): Node {
  const { g } = ctx;
  const conv = s.layout === 'conv1d';
  const w = g.param(s.weight, conv ? [s.inFeatures, s.outFeatures] : [s.outFeatures, s.inFeatures], ctx.trainableBase);
  let y = g.matmul(x, w, false, !conv);
  if (s.bias) y = g.add(y, g.param(s.bias, [s.outFeatures], ctx.trainableBase));
  if (ctx.lora && targetsModule(s.module, ctx.lora.targetModules)) {
    const names = loraParamNames(s.module);
    const a = g.param(names.A, [ctx.lora.r, s.inFeatures], true);
    const b = g.param(names.B, [s.outFeatures, ctx.lora.r], true);
    // PEFT: B A dropout(x); each adapter its own salt (its index), one seed input per graph.
    const xin = ctx.dropout ? g.dropout(x, dropoutSeed(g), ctx.lora.dropout ?? 0, ctx.adapters.size) : x;
    const delta = g.matmul(g.matmul(xin, a, false, true), b, false, true);
    y = g.add(y, g.scale(delta, loraScaling(ctx.lora)));
    ctx.adapters.set(s.module, { ...names, inFeatures: s.inFeatures, outFeatures: s.outFeatures });
  }
  return y;
}

function dropoutSeed(g: Graph): Node {
  return g.inputs().find((n) => n.attrs.name === LORA_DROPOUT_SEED) ?? g.input(LORA_DROPOUT_SEED, [1], 'i32');
}

/** [B, T, H*D] -> [B, H, T, D]. */
export function splitHeads(g: Graph, x: Node, heads: number, headDim: number): Node {
  const [B, T] = x.shape;
  return g.permute(g.reshape(x, [B, T, heads, headDim]), [0, 2, 1, 3]);
}

/** [B, H, T, D] -> [B, T, H*D]. */
export function mergeHeads(g: Graph, x: Node): Node {
  const [B, H, T, D] = x.shape;
  return g.reshape(g.permute(x, [0, 2, 1, 3]), [B, T, H * D]);
}

/**
 * Causal attention with right padding: q [B, H, T, D], k and v [B, Hkv, T, D] (grouped-query
 * attention repeats each kv head H/Hkv times), keyMask [B, T]. Returns [B, T, H*D]. Both paths
 * compute the same function (ops/attention matches softmax_causal's masking exactly).
 */
export function causalAttention(
  g: Graph,
  q: Node,
  k: Node,
  v: Node,
  keyMask: Node,
  mode: AttentionMode = 'auto',
): Node {
  const scale = 1 / Math.sqrt(q.shape[3]);
  if (shouldFuseAttention(q.shape[2], mode)) {
    return mergeHeads(g, g.flashAttention(q, k, v, keyMask, scale));
  }
  const rep = q.shape[1] / k.shape[1];
  const scores = g.matmul(q, g.repeatHeads(k, rep), false, true);
  const probs = g.softmaxCausal(scores, keyMask, scale);
  return mergeHeads(g, g.matmul(probs, g.repeatHeads(v, rep)));
}
