/** Backward rule of the causal softmax (the key mask gets none). */
import type { BackwardRules } from '../backward-kit.ts';
import { noGradThrough } from '../backward-kit.ts';

export const softmaxBackward: BackwardRules<'softmax_causal'> = {
  softmax_causal: (graph, n, g, needs) => {
    noGradThrough(n, 1, needs, 'the key mask');
    return [graph.apply('softmax_causal_grad', [n, g], { scale: n.attrs.scale }), undefined];
  },
};
