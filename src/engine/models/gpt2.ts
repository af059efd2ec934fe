/**
 * GPT-2 (Hugging Face GPT2LMHeadModel), built from catalogue ops: learned positions, pre-LayerNorm
 * blocks, fused c_attn (q|k|v), tanh GELU, and Conv1D weights stored [in, out] (so x W without a
 * transpose). The LM head is tied to wte unless tie_word_embeddings is false.
 *
 * `prefix` is how the weight file names the transformer: "transformer." (GPT2LMHeadModel) or ""
 * (GPT2Model, as on the Hub's gpt2). Graph parameters keep the file's names; LoRA module paths always
 * use PEFT's "transformer." form.
 */
import type { Node } from '../graph.ts';
import type { Architecture } from './architecture.ts';
import type { ModelConfig } from './config.ts';
import { type BuildContext, causalAttention, type LinearSpec, linear, splitHeads } from './layers.ts';

export function gpt2Architecture(c: ModelConfig, prefix: '' | 'transformer.'): Architecture {
  const D = c.hiddenSize;
  const name = (local: string) => `${prefix}${local}`;
  const lin = (local: string, inF: number, outF: number): LinearSpec => ({
    weight: name(`${local}.weight`),
    bias: name(`${local}.bias`),
    module: `transformer.${local}`,
    inFeatures: inF,
    outFeatures: outF,
    layout: 'conv1d',
  });
  const layer = (i: number) => ({
    cAttn: lin(`h.${i}.attn.c_attn`, D, 3 * D),
    cProj: lin(`h.${i}.attn.c_proj`, D, D),
    cFc: lin(`h.${i}.mlp.c_fc`, D, c.intermediateSize),
    mlpProj: lin(`h.${i}.mlp.c_proj`, c.intermediateSize, D),
  });

  const layerNorm = (ctx: BuildContext, x: Node, local: string): Node => {
    const { g } = ctx;
    const w = g.param(name(`${local}.weight`), [D], ctx.trainableBase);
    const b = g.param(name(`${local}.bias`), [D], ctx.trainableBase);
    return g.layernorm(x, w, b, c.normEps);
  };

  return {
    linears() {
      return Array.from({ length: c.numLayers }, (_, i) => Object.values(layer(i))).flat();
    },

    hidden(ctx, ids, keyMask) {
      const { g } = ctx;
      const T = ids.shape[1];
      if (T > c.maxPositions)
        throw new Error(
          `gpt2: sequences padded to ${T} tokens exceed the model's context (n_positions = ${c.maxPositions}); truncate the rows (max_length) or use a model with a longer context`,
        );
      const wte = g.param(name('wte.weight'), [c.vocabSize, D], ctx.trainableBase);
      const wpe = g.param(name('wpe.weight'), [c.maxPositions, D], ctx.trainableBase);
      // Rows 0..T-1 of wpe: flatten, slice the first T*D values, view as [T, D].
      const pos = g.reshape(g.sliceLast(g.reshape(wpe, [1, c.maxPositions * D]), 0, T * D), [T, D]);
      let x = g.add(g.embedding(wte, ids), pos);
      for (let i = 0; i < c.numLayers; i++) {
        const L = layer(i);
        const qkv = linear(ctx, layerNorm(ctx, x, `h.${i}.ln_1`), L.cAttn);
        const [q, k, v] = [0, 1, 2].map((j) => splitHeads(g, g.sliceLast(qkv, j * D, D), c.numHeads, c.headDim));
        x = g.add(x, linear(ctx, causalAttention(g, q, k, v, keyMask, ctx.attention), L.cProj));
        const h = g.unary(linear(ctx, layerNorm(ctx, x, `h.${i}.ln_2`), L.cFc), 'gelu_tanh');
        x = g.add(x, linear(ctx, h, L.mlpProj));
      }
      return layerNorm(ctx, x, 'ln_f');
    },

    logits(ctx, hidden) {
      const { g } = ctx;
      const head = c.tieEmbeddings
        ? g.param(name('wte.weight'), [c.vocabSize, D], ctx.trainableBase)
        : g.param('lm_head.weight', [c.vocabSize, D], ctx.trainableBase);
      return g.matmul(hidden, head, false, true);
    },
  };
}
