/**
 * Graphs for generation with a KV cache, beside the training graphs (gpt2.ts, llama.ts) and with
 * their weight names (the per-layer linear specs come from those architectures' `linears()`).
 *
 * Two graphs per (batch size B, cache length Tmax):
 * - prefill, ids [B, T] (right-padded prompts): the usual full-sequence forward with square causal
 *   attention over its own keys; every layer also writes its K/V into the cache at slots 0..T-1
 *   (`cache_write` at pos = 0). Its logits are only those of each row's last real token, picked
 *   by a one-hot selector [B, 1, T] (a matmul, so no gather op is needed).
 * - decode, ids [B, 1] at positions pos [B]: each layer writes the new K/V at slot pos[b] and
 *   attends over the whole cache [B, Hkv, Tmax, hd]; keyMask [B, Tmax] marks the filled slots.
 *   Positions enter as wpe[pos] (GPT-2) or rope_at(pos) (Llama family).
 *
 * The caches are non-trainable params named `kvCacheName(layer, 'k' | 'v')`, shape
 * [B, Hkv, Tmax, headDim]; the caller binds them to tensors it owns. The `cache_write` nodes are
 * returned as `effects`: they must run (the planner must treat them as outputs) but are never read.
 */
import type { Graph, Node } from '../graph.ts';
import type { ModelConfig } from './config.ts';
import { gpt2Architecture } from './gpt2.ts';
import type { LoadedModel } from './index.ts';
import {
  type BuildContext,
  type BuildOptions,
  buildContext,
  causalAttention,
  type LinearSpec,
  linear,
  splitHeads,
} from './layers.ts';
import { llamaArchitecture } from './llama.ts';

/** Input names of the prefill and decode graphs. */
export const DECODE_INPUTS = {
  ids: 'ids',
  keyMask: 'keyMask',
  pos: 'pos',
  /** Prefill only: [B, 1, T] one-hot of each row's last real position. */
  lastSelect: 'lastSelect',
} as const;

export function kvCacheName(layer: number, kind: 'k' | 'v'): string {
  return `__kv_cache.${layer}.${kind}`;
}

export interface CachedGraph {
  /** [B, V]: next-token logits of each row. */
  logits: Node;
  /** cache_write nodes: run every time, never read back. */
  effects: Node[];
}

/** What one layer's attention does with its q, k, v ([B, H|Hkv, T, hd]). */
export type AttendFn = (layer: number, q: Node, k: Node, v: Node) => Node;

export interface CachedStack {
  /** The embedded tokens plus positions: [B, T, D]. */
  embed(ctx: BuildContext, ids: Node): Node;
  /** Transformer blocks and the final norm; positions of q/k rotated by `rope` where the family uses it. */
  blocks(ctx: BuildContext, x: Node, attend: AttendFn, rope: (x: Node) => Node): Node;
  logits(ctx: BuildContext, hidden: Node): Node;
}

export interface CachedGraphOptions {
  B: number;
  Tmax: number;
  build?: BuildOptions;
}

/** Prefill graph for prompts padded to T (T <= Tmax). */
export function buildPrefillGraph(g: Graph, model: LoadedModel, T: number, o: CachedGraphOptions): CachedGraph {
  const { B, Tmax } = o;
  const c = model.config;
  if (T > Tmax) throw new Error(`prefill: prompt length ${T} exceeds the cache length ${Tmax}`);
  const ids = g.input(DECODE_INPUTS.ids, [B, T], 'i32');
  const keyMask = g.input(DECODE_INPUTS.keyMask, [B, T]);
  const pos = g.input(DECODE_INPUTS.pos, [B], 'i32');
  const lastSelect = g.input(DECODE_INPUTS.lastSelect, [B, 1, T]);
  const ctx = buildContext(g, { ...o.build, trainableBase: false });
  const stack = cachedStack(model, { prefill: true, pos });
  const effects: Node[] = [];
  const attend: AttendFn = (layer, q, k, v) => {
    effects.push(g.cacheWrite(cacheParam(g, c, layer, 'k', B, Tmax), k, pos));
    effects.push(g.cacheWrite(cacheParam(g, c, layer, 'v', B, Tmax), v, pos));
    return causalAttention(g, q, k, v, keyMask, ctx.attention);
  };
  const hidden = stack.blocks(ctx, stack.embed(ctx, ids), attend, (x) => g.rope(x, c.ropeTheta));
  const last = g.matmul(lastSelect, hidden);
  const logits = stack.logits(ctx, last);
  return { logits: g.reshape(logits, [B, c.vocabSize]), effects };
}

/** One-token decode step against the cache. */
export function buildDecodeGraph(g: Graph, model: LoadedModel, o: CachedGraphOptions): CachedGraph {
  const { B, Tmax } = o;
  const c = model.config;
  const ids = g.input(DECODE_INPUTS.ids, [B, 1], 'i32');
  const keyMask = g.input(DECODE_INPUTS.keyMask, [B, Tmax]);
  const pos = g.input(DECODE_INPUTS.pos, [B], 'i32');
  const ctx = buildContext(g, { ...o.build, trainableBase: false });
  const stack = cachedStack(model, { prefill: false, pos });
  const effects: Node[] = [];
  const attend: AttendFn = (layer, q, k, v) => {
    const kc = g.cacheWrite(cacheParam(g, c, layer, 'k', B, Tmax), k, pos);
    const vc = g.cacheWrite(cacheParam(g, c, layer, 'v', B, Tmax), v, pos);
    effects.push(kc, vc);
    return causalAttention(g, q, kc, vc, keyMask, ctx.attention);
  };
  const hidden = stack.blocks(ctx, stack.embed(ctx, ids), attend, (x) => g.ropeAt(x, pos, c.ropeTheta));
  return { logits: g.reshape(stack.logits(ctx, hidden), [B, c.vocabSize]), effects };
}

function cacheParam(g: Graph, c: ModelConfig, layer: number, kind: 'k' | 'v', B: number, Tmax: number): Node {
  return g.param(kvCacheName(layer, kind), [B, c.numKvHeads, Tmax, c.headDim], false);
}

interface StackMode {
  prefill: boolean;
  /** [B] i32: position of each row's first token in this graph. */
  pos: Node;
}

function cachedStack(model: LoadedModel, mode: StackMode): CachedStack {
  return model.config.arch === 'gpt2' ? gpt2Stack(model, mode) : llamaStack(model.config);
}

/** Linear specs by PEFT module path, straight from the training architecture (one naming source). */
function specsByModule(linears: readonly LinearSpec[]): (module: string) => LinearSpec {
  const map = new Map(linears.map((l) => [l.module, l]));
  return (module) => {
    const s = map.get(module);
    if (!s) throw new Error(`decode graph: the model has no linear layer "${module}"`);
    return s;
  };
}

function gpt2Stack(model: LoadedModel, mode: StackMode): CachedStack {
  const c = model.config;
  const D = c.hiddenSize;
  // Same rule as modelFromWeights: GPT2Model files name "wte.weight", GPT2LMHeadModel files "transformer.wte.weight".
  const prefix = model.weights.has('wte.weight') ? '' : 'transformer.';
  const arch = gpt2Architecture(c, prefix);
  const spec = specsByModule(arch.linears());
  const name = (local: string) => `${prefix}${local}`;
  const layerNorm = (ctx: BuildContext, x: Node, local: string): Node => {
    const w = ctx.g.param(name(`${local}.weight`), [D], ctx.trainableBase);
    const b = ctx.g.param(name(`${local}.bias`), [D], ctx.trainableBase);
    return ctx.g.layernorm(x, w, b, c.normEps);
  };
  return {
    embed(ctx, ids) {
      const { g } = ctx;
      const [B, T] = ids.shape;
      const wte = g.param(name('wte.weight'), [c.vocabSize, D], ctx.trainableBase);
      const wpe = g.param(name('wpe.weight'), [c.maxPositions, D], ctx.trainableBase);
      const tokens = g.embedding(wte, ids);
      if (mode.prefill) {
        // Rows 0..T-1 of wpe, as gpt2.ts does it.
        return g.add(tokens, g.reshape(g.sliceLast(g.reshape(wpe, [1, c.maxPositions * D]), 0, T * D), [T, D]));
      }
      return g.add(tokens, g.reshape(g.embedding(wpe, mode.pos), [B, 1, D]));
    },
    blocks(ctx, x, attend) {
      const { g } = ctx;
      let h = x;
      for (let i = 0; i < c.numLayers; i++) {
        const m = `transformer.h.${i}`;
        const qkv = linear(ctx, layerNorm(ctx, h, `h.${i}.ln_1`), spec(`${m}.attn.c_attn`));
        const [q, k, v] = [0, 1, 2].map((j) => splitHeads(g, g.sliceLast(qkv, j * D, D), c.numHeads, c.headDim));
        h = g.add(h, linear(ctx, attend(i, q, k, v), spec(`${m}.attn.c_proj`)));
        const f = g.unary(linear(ctx, layerNorm(ctx, h, `h.${i}.ln_2`), spec(`${m}.mlp.c_fc`)), 'gelu_tanh');
        h = g.add(h, linear(ctx, f, spec(`${m}.mlp.c_proj`)));
      }
      return layerNorm(ctx, h, 'ln_f');
    },
    logits: (ctx, hidden) => arch.logits(ctx, hidden),
  };
}

function llamaStack(c: ModelConfig): CachedStack {
  const D = c.hiddenSize;
  const arch = llamaArchitecture(c);
  const spec = specsByModule(arch.linears());
  const rmsNorm = (ctx: BuildContext, x: Node, weight: string): Node =>
    ctx.g.rmsnorm(x, ctx.g.param(weight, [D], ctx.trainableBase), c.normEps);
  return {
    embed(ctx, ids) {
      return ctx.g.embedding(ctx.g.param('model.embed_tokens.weight', [c.vocabSize, D], ctx.trainableBase), ids);
    },
    blocks(ctx, x, attend, rope) {
      const { g } = ctx;
      let h = x;
      for (let i = 0; i < c.numLayers; i++) {
        const m = `model.layers.${i}`;
        const n = rmsNorm(ctx, h, `${m}.input_layernorm.weight`);
        const q = rope(splitHeads(g, linear(ctx, n, spec(`${m}.self_attn.q_proj`)), c.numHeads, c.headDim));
        const k = rope(splitHeads(g, linear(ctx, n, spec(`${m}.self_attn.k_proj`)), c.numKvHeads, c.headDim));
        const v = splitHeads(g, linear(ctx, n, spec(`${m}.self_attn.v_proj`)), c.numKvHeads, c.headDim);
        h = g.add(h, linear(ctx, attend(i, q, k, v), spec(`${m}.self_attn.o_proj`)));
        const post = rmsNorm(ctx, h, `${m}.post_attention_layernorm.weight`);
        const act = g.mul(
          g.unary(linear(ctx, post, spec(`${m}.mlp.gate_proj`)), 'silu'),
          linear(ctx, post, spec(`${m}.mlp.up_proj`)),
        );
        h = g.add(h, linear(ctx, act, spec(`${m}.mlp.down_proj`)));
      }
      return rmsNorm(ctx, h, 'model.norm.weight');
    },
    logits: (ctx, hidden) => arch.logits(ctx, hidden),
  };
}
