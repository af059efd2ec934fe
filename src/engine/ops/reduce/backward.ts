/** Backward rules of the reductions: each is the adjoint of another op of the family. */
import type { BackwardRules } from '../backward-kit.ts';
import { noGradThrough, reshapeTo } from '../backward-kit.ts';
import { numel } from '../shape.ts';

export const reduceBackward: BackwardRules<
  'sum_all' | 'sumsq' | 'sum_leading' | 'broadcast_to' | 'masked_row_sum' | 'expand_rows'
> = {
  sum_all: (graph, n, g) => [graph.broadcastTo(g, n.inputs[0].shape)],
  sumsq: (graph, n, g) => {
    const a = n.inputs[0];
    return [graph.scale(graph.mul(a, graph.broadcastTo(g, a.shape)), 2)];
  },
  sum_leading: (graph, n, g) => [graph.broadcastTo(g, n.inputs[0].shape)],
  broadcast_to: (graph, n, g) => {
    const a = n.inputs[0];
    return [numel(a.shape) === 1 ? reshapeTo(graph, graph.sumAll(g), a) : graph.sumLeading(g, a.shape.length)];
  },
  masked_row_sum: (graph, n, g, needs) => {
    noGradThrough(n, 1, needs, 'the mask');
    return [graph.expandRows(g, n.inputs[1])];
  },
  expand_rows: (graph, n, g, needs) => {
    noGradThrough(n, 1, needs, 'the mask');
    return [graph.maskedRowSum(g, n.inputs[1])];
  },
};
