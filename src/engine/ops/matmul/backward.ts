/** Backward rule of matmul. */
import type { BackwardRules } from '../backward-kit.ts';
import { numel } from '../shape.ts';

export const matmulBackward: BackwardRules<'matmul'> = {
  /**
   * out = A' B' with A' = transA ? a^T : a, B' likewise. dA' = G B'^T, dB' = A'^T G, transposed
   * back where the operand was stored transposed. A 2-D b shared across a batched a gets its
   * gradient from the batch folded into rows.
   */
  matmul: (graph, n, g, needs) => {
    const [a, b] = n.inputs;
    const { transA, transB } = n.attrs;
    const ga = needs(0) ? (transA ? graph.matmul(b, g, transB, true) : graph.matmul(g, b, false, !transB)) : undefined;
    if (!needs(1)) return [ga, undefined];
    let a2 = a;
    let g2 = g;
    if (b.shape.length === 2 && a.shape.length > 2) {
      // transA is false here (the shape rule enforces it): fold the batch into rows.
      a2 = graph.reshape(a, [numel(a.shape) / a.shape[a.shape.length - 1], a.shape[a.shape.length - 1]]);
      g2 = graph.reshape(g, [numel(g.shape) / g.shape[g.shape.length - 1], g.shape[g.shape.length - 1]]);
    }
    const gb = transB ? graph.matmul(g2, a2, true, transA) : graph.matmul(a2, g2, !transA, false);
    return [ga, gb];
  },
};
