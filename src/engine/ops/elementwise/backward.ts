/** Backward rules of the elementwise ops. */
import type { BackwardRules } from '../backward-kit.ts';
import { unbroadcast, when } from '../backward-kit.ts';

export const elementwiseBackward: BackwardRules<'add' | 'sub' | 'mul' | 'scale' | 'unary'> = {
  add: (graph, n, g, needs) => [when(needs, 0, () => g), when(needs, 1, () => unbroadcast(graph, g, n.inputs[1]))],
  sub: (graph, n, g, needs) => [
    when(needs, 0, () => g),
    when(needs, 1, () => graph.scale(unbroadcast(graph, g, n.inputs[1]), -1)),
  ],
  mul: (graph, n, g, needs) => {
    const [a, b] = n.inputs;
    return [when(needs, 0, () => graph.mul(g, b)), when(needs, 1, () => unbroadcast(graph, graph.mul(g, a), b))];
  },
  scale: (graph, n, g) => [graph.scale(g, n.attrs.s)],
  unary: (graph, n, g) => [graph.unaryGrad(n.inputs[0], g, n.attrs.fn)],
};
