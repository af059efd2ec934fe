/** Backward rule of the embedding lookup (the ids get none). */
import type { BackwardRules } from '../backward-kit.ts';

export const embeddingBackward: BackwardRules<'embedding'> = {
  embedding: (graph, n, g) => {
    const [table, ids] = n.inputs;
    return [graph.embeddingGrad(ids, g, table.shape[0]), undefined];
  },
};
