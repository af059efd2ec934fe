/** Backward rules of the data-movement ops: each moves the gradient back the other way. */
import type { BackwardRules } from '../backward-kit.ts';

export const layoutBackward: BackwardRules<
  'reshape' | 'permute' | 'slice_last' | 'pad_last' | 'repeat_heads' | 'sum_heads'
> = {
  reshape: (graph, n, g) => [graph.reshape(g, n.inputs[0].shape)],
  permute: (graph, n, g) => {
    const perm = n.attrs.perm;
    return [
      graph.permute(
        g,
        perm.map((_, i) => perm.indexOf(i)),
      ),
    ];
  },
  slice_last: (graph, n, g) => {
    const a = n.inputs[0];
    return [graph.padLast(g, n.attrs.start, a.shape[a.shape.length - 1])];
  },
  pad_last: (graph, n, g) => {
    const a = n.inputs[0];
    return [graph.sliceLast(g, n.attrs.start, a.shape[a.shape.length - 1])];
  },
  repeat_heads: (graph, n, g) => [graph.sumHeads(g, n.attrs.rep)],
  sum_heads: (graph, n, g) => [graph.repeatHeads(g, n.attrs.rep)],
};
