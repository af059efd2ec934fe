/** LayerNorm and RMSNorm with their gradient ops: attributes, semantics and shape rules. */
import { check, fmtShape, type Shape, type ShapeRules, shapeEq, type TensorType } from '../shape.ts';

export interface NormAttrs {
  /** x [..., D], w [D], b [D] -> (x - mean) / sqrt(var + eps) * w + b; biased variance. */
  layernorm: { eps: number };
  /** inputs [x, w, g] -> dL/dx. */
  layernorm_grad_x: { eps: number };
  /** inputs [x, g] -> dL/dw [D] = sum over rows of g * xhat. (dL/db is sum_leading of g.) */
  layernorm_grad_w: { eps: number };
  /** x [..., D], w [D] -> x / sqrt(mean(x^2) + eps) * w. */
  rmsnorm: { eps: number };
  /** inputs [x, w, g] -> dL/dx. */
  rmsnorm_grad_x: { eps: number };
  /** inputs [x, g] -> dL/dw [D] = sum over rows of g * x / rms. */
  rmsnorm_grad_w: { eps: number };
}

const lastDim = (x: TensorType): number => x.shape[x.shape.length - 1];

/** dL/dx has x's shape; g must match it. */
function gradX(op: string): (inputs: readonly TensorType[]) => Shape {
  return ([x, , g]) => {
    check(shapeEq(x.shape, g.shape), () => `${op}: g ${fmtShape(g.shape)} vs x ${fmtShape(x.shape)}`);
    return x.shape;
  };
}

/** dL/dw is one value per column of x. */
function gradW(op: string): (inputs: readonly TensorType[]) => Shape {
  return ([x, g]) => {
    check(shapeEq(x.shape, g.shape), () => `${op}: g ${fmtShape(g.shape)} vs x ${fmtShape(x.shape)}`);
    return [lastDim(x)];
  };
}

export const normShapes: ShapeRules<NormAttrs> = {
  layernorm: ([x, w, b]) => {
    const D = lastDim(x);
    check(
      w.shape.length === 1 && w.shape[0] === D && shapeEq(b.shape, w.shape),
      () => `layernorm: weight ${fmtShape(w.shape)} vs dim ${D}`,
    );
    return x.shape;
  },
  layernorm_grad_x: gradX('layernorm_grad_x'),
  layernorm_grad_w: gradW('layernorm_grad_w'),
  rmsnorm: ([x, w]) => {
    const D = lastDim(x);
    check(w.shape.length === 1 && w.shape[0] === D, () => `rmsnorm: weight ${fmtShape(w.shape)} vs dim ${D}`);
    return x.shape;
  },
  rmsnorm_grad_x: gradX('rmsnorm_grad_x'),
  rmsnorm_grad_w: gradW('rmsnorm_grad_w'),
};
