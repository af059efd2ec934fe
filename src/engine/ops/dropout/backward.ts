/** Backward rule of dropout: the same mask and scale applied to the gradient (the seed gets none). */
import type { BackwardRules } from '../backward-kit.ts';

export const dropoutBackward: BackwardRules<'dropout'> = {
  dropout: (graph, n, g) => [graph.dropout(g, n.inputs[1], n.attrs.p, n.attrs.salt), undefined],
};
