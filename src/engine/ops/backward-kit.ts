/**
 * What a backward rule is, and the helpers the op families' rules share. A rule gets the graph,
 * the forward node and the gradient of its output, and returns one gradient per input (undefined
 * where `needs(i)` is false, or where the input has no gradient, e.g. integer ids).
 */
import type { Graph, Node } from '../graph.ts';
import type { GraphOp } from '../ops.ts';
import { fmtShape, shapeEq } from './shape.ts';

export class GradientError extends Error {
  override name = 'GradientError';
}

/** Whether input i lies on a path from a param being differentiated (its gradient is wanted). */
export type Needs = (inputIndex: number) => boolean;

export type BackwardRule<K extends GraphOp> = (graph: Graph, n: Node<K>, g: Node, needs: Needs) => (Node | undefined)[];

/** Rules of the ops that have a gradient; an op without one must not lie between a param and the loss. */
export type BackwardRules<Ops extends GraphOp> = { readonly [K in Ops]?: BackwardRule<K> };

/** `make()` when input i needs a gradient, else undefined. */
export function when(needs: Needs, i: number, make: () => Node): Node | undefined {
  return needs(i) ? make() : undefined;
}

/** Reduces a broadcast operand's gradient back to its shape (b is a's shape or a trailing suffix). */
export function unbroadcast(graph: Graph, g: Node, target: Node): Node {
  return shapeEq(g.shape, target.shape) ? g : graph.sumLeading(g, target.shape.length);
}

export function reshapeTo(graph: Graph, g: Node, like: Node): Node {
  return shapeEq(g.shape, like.shape) ? g : graph.reshape(g, like.shape);
}

/** Throws when input i (a mask, say) would need a gradient the op does not define. */
export function noGradThrough(n: Node, i: number, needs: Needs, what: string): void {
  if (needs(i)) {
    throw new GradientError(
      `buildBackward: ${n.op} (node #${n.id}) has no gradient for ${what}, but ${what} depends on a param being differentiated; compute it from inputs only`,
    );
  }
}

export function noGradient(n: Node): never {
  throw new GradientError(
    `buildBackward: op "${n.op}" (node #${n.id}, shape ${fmtShape(n.shape)}) has no gradient; it is a backward-only or inference-only op and must not lie between a trainable param and the loss`,
  );
}
