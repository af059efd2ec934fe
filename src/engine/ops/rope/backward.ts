/** Backward rule of rope: the rotation by the opposite angle (rope_at is inference-only). */
import type { BackwardRules } from '../backward-kit.ts';

export const ropeBackward: BackwardRules<'rope'> = {
  rope: (graph, n, g) => [graph.rope(g, n.attrs.theta, !n.attrs.inverse)],
};
