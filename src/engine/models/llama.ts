/**
 * The Llama family (Hugging Face LlamaForCausalLM and Qwen2ForCausalLM), built from catalogue ops:
 * pre-RMSNorm blocks, RoPE in rotate_half layout, grouped-query attention, SwiGLU MLP, nn.Linear
 * weights stored [out, in] (so x W^T). q/k/v biases for Qwen2 (and Llama's attention_bias, which
 * also biases o_proj); the LM head is tied to embed_tokens when tie_word_embeddings is true.
 */
import type { Node } from '../graph.ts';
import type { Architecture } from './architecture.ts';
import type { ModelConfig } from './config.ts';
import { type BuildContext, causalAttention, type LinearSpec, linear, splitHeads } from './layers.ts';

export function llamaArchitecture(c: ModelConfig): Architecture {
  const D = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const lin = (module: string, inF: number, outF: number, bias: boolean): LinearSpec => ({
    weight: `${module}.weight`,
    bias: bias ? `${module}.bias` : undefined,
    module,
    inFeatures: inF,
    outFeatures: outF,
    layout: 'linear',
  });
  const layer = (i: number) => {
    const p = `model.layers.${i}`;
    return {
      q: lin(`${p}.self_attn.q_proj`, D, qDim, c.qkvBias),
      k: lin(`${p}.self_attn.k_proj`, D, kvDim, c.qkvBias),
      v: lin(`${p}.self_attn.v_proj`, D, kvDim, c.qkvBias),
      o: lin(`${p}.self_attn.o_proj`, qDim, D, c.oBias),
      gate: lin(`${p}.mlp.gate_proj`, D, c.intermediateSize, false),
      up: lin(`${p}.mlp.up_proj`, D, c.intermediateSize, false),
      down: lin(`${p}.mlp.down_proj`, c.intermediateSize, D, false),
    };
  };
  const rmsNorm = (ctx: BuildContext, x: Node, weight: string): Node =>
    ctx.g.rmsnorm(x, ctx.g.param(weight, [D], ctx.trainableBase), c.normEps);

  return {
    linears() {
      return Array.from({ length: c.numLayers }, (_, i) => Object.values(layer(i))).flat();
    },

    hidden(ctx, ids, keyMask) {
      const { g } = ctx;
      const embed = g.param('model.embed_tokens.weight', [c.vocabSize, D], ctx.trainableBase);
      let x = g.embedding(embed, ids);
      for (let i = 0; i < c.numLayers; i++) {
        const L = layer(i);
        const h = rmsNorm(ctx, x, `model.layers.${i}.input_layernorm.weight`);
        const q = g.rope(splitHeads(g, linear(ctx, h, L.q), c.numHeads, c.headDim), c.ropeTheta);
        const k = g.rope(splitHeads(g, linear(ctx, h, L.k), c.numKvHeads, c.headDim), c.ropeTheta);
        const v = splitHeads(g, linear(ctx, h, L.v), c.numKvHeads, c.headDim);
        x = g.add(x, linear(ctx, causalAttention(g, q, k, v, keyMask, ctx.attention), L.o));
        const m = rmsNorm(ctx, x, `model.layers.${i}.post_attention_layernorm.weight`);
        const act = g.mul(g.unary(linear(ctx, m, L.gate), 'silu'), linear(ctx, m, L.up));
        x = g.add(x, linear(ctx, act, L.down));
      }
      return rmsNorm(ctx, x, 'model.norm.weight');
    },

    logits(ctx, hidden) {
      const { g } = ctx;
      const name = c.tieEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
      return g.matmul(hidden, g.param(name, [c.vocabSize, D], ctx.trainableBase), false, true);
    },
  };
}
