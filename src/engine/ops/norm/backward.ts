/** Backward rules of the norms (their gradient ops have none: they are backward-only). */
import type { BackwardRules } from '../backward-kit.ts';
import { when } from '../backward-kit.ts';

export const normBackward: BackwardRules<'layernorm' | 'rmsnorm'> = {
  layernorm: (graph, n, g, needs) => {
    const { eps } = n.attrs;
    const [x, w] = n.inputs;
    return [
      when(needs, 0, () => graph.apply('layernorm_grad_x', [x, w, g], { eps })),
      when(needs, 1, () => graph.apply('layernorm_grad_w', [x, g], { eps })),
      when(needs, 2, () => graph.sumLeading(g, 1)),
    ];
  },
  rmsnorm: (graph, n, g, needs) => {
    const { eps } = n.attrs;
    const [x, w] = n.inputs;
    return [
      when(needs, 0, () => graph.apply('rmsnorm_grad_x', [x, w, g], { eps })),
      when(needs, 1, () => graph.apply('rmsnorm_grad_w', [x, g], { eps })),
    ];
  },
};
