/**
 * Fused causal attention (flash-style): attributes, semantics and shape rules.
 *
 * q [B, H, Tq, D], k and v [B, Hkv, Tk, D] (H a multiple of Hkv: query head h reads kv head
 * floor(h / (H / Hkv)), the same grouping as repeat_heads, by index and without a repeated copy),
 * keyMask [B, Tk]. Query i sees key j when j <= i + (Tk - Tq) and keyMask[b, j] != 0: exactly the
 * probabilities of softmax_causal(q k^T, keyMask, scale), so a row whose keys are all masked gives 0.
 * No [Tq x Tk] tensor is ever stored: the kernels walk the keys in blocks with an online softmax.
 *
 * Every op has one output, so the backward is split into single-output ops that each recompute the
 * probabilities block by block (FlashAttention-2's recipe, with the row statistics pass separate):
 *  - the forward (`flash_attention`) returns only `out`, so forward-only graphs (scoring,
 *    generation) pay one pass and store nothing extra;
 *  - the backward rule records `flash_attention_stats` ([B, H, Tq, 2]: each row's logsumexp and
 *    delta = rowsum(dOut * out)), one extra q k^T pass, then three gradient ops that read those
 *    statistics. Packing out and lse into one output would save that pass but would need slicing
 *    copies of out (the planner has no offset views) and a gradient for the lse column.
 */
import { check, fmtShape, type Shape, type ShapeRules, shapeEq, type TensorType } from '../shape.ts';

/** What the dims helper reads of a tensor (graph nodes, launch views and host arrays all fit). */
type Shaped = { readonly shape: Shape };

/** Logsumexp stored for a row with no visible key (WGSL has no infinity; the f32 lowest value). */
export const EMPTY_ROW_LSE = -3.4028234663852886e38;

/**
 * 'fused': the flash_attention op (ops/attention), no [B, H, T, T] tensor; 'unfused': q k^T,
 * softmax_causal and p v as three ops; 'auto': fused from FUSED_ATTENTION_MIN_T query tokens on.
 */
export type AttentionMode = 'auto' | 'fused' | 'unfused';

/**
 * Sequence length from which 'auto' attention is fused. Below it the score tensors are small
 * (at T = 255 one head's [T, T] scores are 254 KiB, so a batch of 8 x 12 heads stays under 25 MiB
 * per layer) and the unfused path runs as tiled matmuls, which are faster than the fused kernels'
 * one-thread-per-row loops; from 256 on the scores grow quadratically (Qwen2.5-0.5B at 4 x 1024:
 * 235 MB per score tensor per layer) and storing them, not the arithmetic, is what limits which
 * models fit. A rule on T alone, not on bytes, keeps one path per sequence length whatever the
 * batch size, and keeps the bundled classroom model (T = 64) on its golden numbers.
 */
export const FUSED_ATTENTION_MIN_T = 256;

/** Whether causal attention over Tq query tokens uses flash_attention (models/layers.ts, memory-fit.ts). */
export function shouldFuseAttention(Tq: number, mode: AttentionMode = 'auto'): boolean {
  return mode === 'fused' || (mode === 'auto' && Tq >= FUSED_ATTENTION_MIN_T);
}

export interface AttentionAttrs {
  /** inputs [q, k, v, keyMask] -> out [B, H, Tq, D] = softmax_causal(scale * q k^T) v. */
  flash_attention: { scale: number };
  /**
   * inputs [q, k, keyMask, out, dOut] -> [B, H, Tq, 2]: per query row (logsumexp over visible keys
   * of scale * q k^T, or EMPTY_ROW_LSE when none is visible; rowsum(dOut * out)). Backward only.
   */
  flash_attention_stats: { scale: number };
  /** inputs [q, k, v, keyMask, dOut, stats] -> dQ [B, H, Tq, D]. Backward only. */
  flash_attention_grad_q: { scale: number };
  /** inputs [q, k, v, keyMask, dOut, stats] -> dK [B, Hkv, Tk, D] (summed over the query heads of each kv head). */
  flash_attention_grad_k: { scale: number };
  /** inputs [q, k, keyMask, dOut, stats] -> dV [B, Hkv, Tk, D]. Backward only. */
  flash_attention_grad_v: { scale: number };
}

export type AttentionOp = keyof AttentionAttrs;

/** Batch, query heads, kv heads, query and key tokens, head size: q [B, H, Tq, D], k and v [B, Hkv, Tk, D]. */
export interface AttentionSizes {
  B: number;
  H: number;
  Hkv: number;
  Tq: number;
  Tk: number;
  D: number;
}

export interface AttentionDims extends AttentionSizes {
  /** Query heads per kv head. */
  rep: number;
}

/** Checks q, k (and v, keyMask) against each other; the dims every kernel of the family uses. */
export function attentionDims(op: string, q: Shaped, k: Shaped, keyMask: Shaped): AttentionDims {
  const [B, H, Tq, D] = q.shape;
  const [, Hkv, Tk] = k.shape;
  check(
    q.shape.length === 4 &&
      k.shape.length === 4 &&
      k.shape[0] === B &&
      k.shape[3] === D &&
      Hkv > 0 &&
      H % Hkv === 0 &&
      Tq <= Tk &&
      shapeEq(keyMask.shape, [B, Tk]),
    () =>
      `${op}: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, keyMask ${fmtShape(keyMask.shape)}; ` +
      'need q [B, H, Tq, D], k [B, Hkv, Tk, D] with H a multiple of Hkv, Tq <= Tk, keyMask [B, Tk]',
  );
  return { B, H, Hkv, Tq, Tk, D, rep: H / Hkv };
}

function same(op: string, what: string, t: Shaped, shape: Shape): void {
  check(shapeEq(t.shape, shape), () => `${op}: ${what} is ${fmtShape(t.shape)}, want ${fmtShape(shape)}`);
}

export const attentionShapes: ShapeRules<AttentionAttrs> = {
  flash_attention: ([q, k, v, keyMask]) => {
    attentionDims('flash_attention', q, k, keyMask);
    same('flash_attention', 'v', v, k.shape);
    return q.shape;
  },
  flash_attention_stats: ([q, k, keyMask, out, dOut]) => {
    const { B, H, Tq } = attentionDims('flash_attention_stats', q, k, keyMask);
    same('flash_attention_stats', 'out', out, q.shape);
    same('flash_attention_stats', 'dOut', dOut, q.shape);
    return [B, H, Tq, 2];
  },
  flash_attention_grad_q: ([q, k, v, keyMask, dOut, stats]) => {
    gradInputs('flash_attention_grad_q', q, k, keyMask, dOut, stats);
    same('flash_attention_grad_q', 'v', v, k.shape);
    return q.shape;
  },
  flash_attention_grad_k: ([q, k, v, keyMask, dOut, stats]) => {
    gradInputs('flash_attention_grad_k', q, k, keyMask, dOut, stats);
    same('flash_attention_grad_k', 'v', v, k.shape);
    return k.shape;
  },
  flash_attention_grad_v: ([q, k, keyMask, dOut, stats]) => {
    gradInputs('flash_attention_grad_v', q, k, keyMask, dOut, stats);
    return k.shape;
  },
};

function gradInputs(
  op: string,
  q: TensorType,
  k: TensorType,
  keyMask: TensorType,
  dOut: TensorType,
  stats: TensorType,
) {
  const { B, H, Tq } = attentionDims(op, q, k, keyMask);
  same(op, 'dOut', dOut, q.shape);
  same(op, 'stats', stats, [B, H, Tq, 2]);
}
