/**
 * Backward rule of fused attention: the row statistics (logsumexp, delta) once, then one op per
 * wanted gradient, each recomputing the probabilities block by block (see index.ts for why).
 */
import type { BackwardRules } from '../backward-kit.ts';
import { noGradThrough, when } from '../backward-kit.ts';

export const attentionBackward: BackwardRules<'flash_attention'> = {
  flash_attention: (graph, n, g, needs) => {
    noGradThrough(n, 3, needs, 'the key mask');
    const [q, k, v, keyMask] = n.inputs;
    const attrs = { scale: n.attrs.scale };
    const stats = graph.apply('flash_attention_stats', [q, k, keyMask, n, g], attrs);
    return [
      when(needs, 0, () => graph.apply('flash_attention_grad_q', [q, k, v, keyMask, g, stats], attrs)),
      when(needs, 1, () => graph.apply('flash_attention_grad_k', [q, k, v, keyMask, g, stats], attrs)),
      when(needs, 2, () => graph.apply('flash_attention_grad_v', [q, k, keyMask, g, stats], attrs)),
      undefined,
    ];
  },
};
