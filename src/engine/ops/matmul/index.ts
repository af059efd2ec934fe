/** Batched matrix product: attributes, semantics and shape rule. */
import { check, fmtShape, type ShapeRules, shapeEq } from '../shape.ts';

export interface MatmulAttrs {
  /**
   * Batched matrix product. a: [...batch, M, K] ([..., K, M] when transA); b: [...batch, K, N]
   * ([..., N, K] when transB), or a 2-D b shared by every batch (then transA must be false).
   * out: [...batch, M, N].
   */
  matmul: { transA: boolean; transB: boolean };
}

export const matmulShapes: ShapeRules<MatmulAttrs> = {
  matmul: ([a, b], { transA, transB }) => {
    check(a.shape.length >= 2 && b.shape.length >= 2, () => 'matmul needs rank >= 2');
    const ar = a.shape.length;
    const br = b.shape.length;
    const M = transA ? a.shape[ar - 1] : a.shape[ar - 2];
    const K = transA ? a.shape[ar - 2] : a.shape[ar - 1];
    const Kb = transB ? b.shape[br - 1] : b.shape[br - 2];
    const N = transB ? b.shape[br - 2] : b.shape[br - 1];
    check(
      K === Kb,
      () => `matmul: inner dims ${fmtShape(a.shape)} x ${fmtShape(b.shape)} (transA ${transA}, transB ${transB})`,
    );
    const batchA = a.shape.slice(0, ar - 2);
    if (br === 2) {
      check(!transA || ar === 2, () => 'matmul: a shared 2-D b needs transA = false');
    } else {
      check(
        shapeEq(batchA, b.shape.slice(0, br - 2)),
        () => `matmul: batch dims ${fmtShape(a.shape)} x ${fmtShape(b.shape)}`,
      );
    }
    return [...batchA, M, N];
  },
};
