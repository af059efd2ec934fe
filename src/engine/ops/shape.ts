/**
 * Shapes and the contract every op family's shape rules follow. Conventions: tensors are dense,
 * row-major, contiguous; float tensors are f32, index tensors i32. "rows" means all leading dims
 * flattened; the last dim is "cols".
 */

export type DType = 'f32' | 'i32';
export type Shape = readonly number[];

/** What a shape rule sees of an input: a graph node or anything else with a shape and dtype. */
export interface TensorType {
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * Per op of an attrs catalogue `A`: checks the inputs (throwing ShapeError with what is wrong) and
 * gives the output's shape, or its shape and dtype when that is not f32.
 */
export type ShapeRules<A> = {
  readonly [K in keyof A]: (inputs: readonly TensorType[], attrs: A[K]) => Shape | TensorType;
};

export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function check(cond: boolean, msg: () => string): asserts cond {
  if (!cond) throw new ShapeError(msg());
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** True when `suffix` equals the trailing dims of `shape`. */
export function isSuffix(suffix: Shape, shape: Shape): boolean {
  if (suffix.length > shape.length) return false;
  const off = shape.length - suffix.length;
  return suffix.every((d, i) => d === shape[off + i]);
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
