/** Elementwise ops: their attributes, semantics and shape rules. */
import { check, fmtShape, isSuffix, type Shape, type ShapeRules, shapeEq, type TensorType } from '../shape.ts';

/** Elementwise functions for `unary` and `unary_grad`. */
export type UnaryFn =
  | 'neg'
  | 'exp'
  | 'log'
  | 'square'
  | 'sigmoid'
  | 'log_sigmoid'
  | 'relu'
  | 'gelu_tanh'
  | 'silu'
  | 'log1mexp';

export const UNARY_FNS: readonly UnaryFn[] = [
  'neg',
  'exp',
  'log',
  'square',
  'sigmoid',
  'log_sigmoid',
  'relu',
  'gelu_tanh',
  'silu',
  'log1mexp',
];

/**
 * Functions defined on part of the line only: tests draw their inputs there. log1mexp is
 * log(1 − e^x), real for x < 0 (ORPO's log-odds of a mean log-prob).
 */
export const UNARY_DOMAIN: Readonly<Partial<Record<UnaryFn, 'positive' | 'negative'>>> = {
  log: 'positive',
  log1mexp: 'negative',
};

/** Every op here allows the output to alias input 0, so gradient accumulation can run in place. */
export interface ElementwiseAttrs {
  /** out = a + b. b has a's shape, or a's trailing dims (broadcast over a's leading dims). */
  add: Record<string, never>;
  /** out = a - b, broadcasting as `add`. */
  sub: Record<string, never>;
  /** out = a * b, broadcasting as `add`. */
  mul: Record<string, never>;
  /** out = a * s. */
  scale: { s: number };
  /**
   * out = fn(a). gelu_tanh is GPT-2's tanh approximation; log_sigmoid and log1mexp (log(1 − e^a),
   * a < 0) are computed stably.
   */
  unary: { fn: UnaryFn };
  /** out = g * fn'(a), where inputs are [a, g]. */
  unary_grad: { fn: UnaryFn };
}

function binary(op: string): (inputs: readonly TensorType[]) => Shape {
  return ([a, b]) => {
    check(
      shapeEq(a.shape, b.shape) || isSuffix(b.shape, a.shape),
      () => `${op}: ${fmtShape(b.shape)} does not broadcast to ${fmtShape(a.shape)}`,
    );
    return a.shape;
  };
}

export const elementwiseShapes: ShapeRules<ElementwiseAttrs> = {
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  scale: ([a]) => a.shape,
  unary: ([a]) => a.shape,
  unary_grad: ([a, g]) => {
    check(shapeEq(a.shape, g.shape), () => `unary_grad: shapes ${fmtShape(a.shape)} vs ${fmtShape(g.shape)}`);
    return a.shape;
  },
};
