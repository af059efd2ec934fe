/** Backward rules of the norms (their gradient ops have none: they are backward-only). */
import type { Graph, Node } from '../../graph.ts';
import type { BackwardRules, Needs } from '../backward-kit.ts';
import { when } from '../backward-kit.ts';

/** dL/dx and dL/dw of a norm node through its two gradient ops (input 0 is x, input 1 is w). */
function normGrads(
  graph: Graph,
  n: Node<'layernorm' | 'rmsnorm'>,
  g: Node,
  needs: Needs,
  gradX: 'layernorm_grad_x' | 'rmsnorm_grad_x',
  gradW: 'layernorm_grad_w' | 'rmsnorm_grad_w',
): (Node | undefined)[] {
  const { eps } = n.attrs;
  const [x, w] = n.inputs;
  return [
    when(needs, 0, () => graph.apply(gradX, [x, w, g], { eps })),
    when(needs, 1, () => graph.apply(gradW, [x, g], { eps })),
  ];
}

export const normBackward: BackwardRules<'layernorm' | 'rmsnorm'> = {
  layernorm: (graph, n, g, needs) => [
    ...normGrads(graph, n, g, needs, 'layernorm_grad_x', 'layernorm_grad_w'),
    when(needs, 2, () => graph.sumLeading(g, 1)),
  ],
  rmsnorm: (graph, n, g, needs) => normGrads(graph, n, g, needs, 'rmsnorm_grad_x', 'rmsnorm_grad_w'),
};
