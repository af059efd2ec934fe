/**
 * The op catalogue: the contract between the graph (and its autodiff), the CPU backend and the
 * WebGPU backend. Every backend implements exactly these ops with exactly these semantics; the
 * CPU kernels are the numerical reference.
 *
 * Conventions: tensors are dense, row-major, contiguous. Float tensors are f32, index tensors i32.
 * Every op has one output. Elementwise ops (add, sub, mul, scale, unary) must allow the output to
 * alias input 0, so gradient accumulation can run in place. "rows" means all leading dims flattened; the last dim is "cols".
 */

export type DType = 'f32' | 'i32';
export type Shape = readonly number[];

/** Elementwise functions for `unary` and `unary_grad`. */
export type UnaryFn = 'neg' | 'exp' | 'log' | 'square' | 'sigmoid' | 'log_sigmoid' | 'relu' | 'gelu_tanh' | 'silu';

export interface OpAttrs {
  /** Placeholder fed before each run (token ids, masks, reference log-probs...). */
  input: { name: string };
  /** Persistent weight. `trainable: false` marks frozen weights (no gradient is built). */
  param: { name: string; trainable: boolean };

  /** out = a + b. b has a's shape, or a's trailing dims (broadcast over a's leading dims). */
  add: Record<string, never>;
  /** out = a - b, broadcasting as `add`. */
  sub: Record<string, never>;
  /** out = a * b, broadcasting as `add`. */
  mul: Record<string, never>;
  /** out = a * s. */
  scale: { s: number };
  /** out = fn(a). gelu_tanh is GPT-2's tanh approximation; log_sigmoid is computed stably. */
  unary: { fn: UnaryFn };
  /** out = g * fn'(a), where inputs are [a, g]. */
  unary_grad: { fn: UnaryFn };

  /** out[1] = sum of all elements. */
  sum_all: Record<string, never>;
  /** out[1] = sum of squares of all elements (for the global grad norm). */
  sumsq: Record<string, never>;
  /** Sums a over its leading dims: out shape = the last `keep` dims of a. */
  sum_leading: { keep: number };
  /** Tiles a (a scalar [1], or a trailing-dims suffix of `shape`) up to `shape`. */
  broadcast_to: { shape: Shape };
  /** x [B,T], mask [B,T] -> out [B]: out[b] = sum_t x[b,t] * mask[b,t]. */
  masked_row_sum: Record<string, never>;
  /** g [B], mask [B,T] -> out [B,T]: out[b,t] = g[b] * mask[b,t]. */
  expand_rows: Record<string, never>;

  /**
   * Batched matrix product. a: [...batch, M, K] ([..., K, M] when transA); b: [...batch, K, N]
   * ([..., N, K] when transB), or a 2-D b shared by every batch (then transA must be false).
   * out: [...batch, M, N].
   */
  matmul: { transA: boolean; transB: boolean };

  /** Same data, new shape (same element count). Backends alias the buffer: no copy. */
  reshape: { shape: Shape };
  /** General transpose of up to 4 dims: out.shape[i] = a.shape[perm[i]]. */
  permute: { perm: readonly number[] };
  /** out = a[..., start : start + len] along the last dim. */
  slice_last: { start: number; len: number };
  /** Inverse of slice_last: out[..., total] zero except out[..., start : start + len] = g. */
  pad_last: { start: number; total: number };
  /** a [B, Hkv, T, D] -> out [B, Hkv*rep, T, D]; out head h reads a's head floor(h / rep). */
  repeat_heads: { rep: number };
  /** Adjoint of repeat_heads: g [B, Hkv*rep, T, D] -> out [B, Hkv, T, D], summing each group. */
  sum_heads: { rep: number };

  /** table [V, D], ids [...] (i32) -> out [..., D]. */
  embedding: Record<string, never>;
  /** ids [...] (i32), g [..., D] -> out [vocab, D]: scatter-add of g rows into the ids' rows. */
  embedding_grad: { vocab: number };

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

  /**
   * Rotary embedding on x [B, H, T, D] at positions t = 0..T-1 (sequences are right-padded), in
   * Hugging Face's rotate_half layout: pairs (i, i + D/2), angle t * theta^(-2i/D).
   * `inverse` rotates by the negative angle, which is the backward pass.
   */
  rope: { theta: number; inverse: boolean };
  /**
   * Rotary embedding at explicit offsets, for decoding with a KV cache: inputs [x [B, H, T, D],
   * pos [B] (i32)]; token t of batch row b sits at position pos[b] + t. Same layout as `rope`.
   * Inference only (no gradient).
   */
  rope_at: { theta: number };
  /**
   * KV-cache write, in place: inputs [cache [B, H, Tmax, D], x [B, H, T, D], pos [B] (i32)];
   * cache[b, h, pos[b] + t, :] = x[b, h, t, :] (rows past Tmax are dropped). The output is the
   * cache itself. Inference only.
   */
  cache_write: Record<string, never>;
  /**
   * scores [B, H, Tq, Tk] (Tq <= Tk), keyMask [B, Tk] (1 = real token, 0 = padding) -> probs:
   * softmax over the last dim of scale * scores, with keys j > i + (Tk - Tq) (causal; for the
   * usual square case simply j > i) or keyMask[b, j] == 0 masked out. Tq < Tk is incremental
   * decoding against a KV cache (Tq = 1: every cached key visible, keyMask says which are filled).
   * A row with every key masked gives all zeros.
   */
  softmax_causal: { scale: number };
  /** inputs [probs, g] -> dL/dscores = scale * probs * (g - sum_j(g * probs)). */
  softmax_causal_grad: { scale: number };

  /**
   * logits [N, V], targets [N] (i32) -> out [N] = log_softmax(logits)[target].
   * A negative target (padding) gives 0.
   */
  token_logprobs: Record<string, never>;
  /** inputs [logits, targets, g [N]] -> dL/dlogits [N, V] = g * (onehot(target) - softmax). */
  token_logprobs_grad: Record<string, never>;

  /**
   * Optimizer update, in place (never a graph node; the executor appends one per trainable
   * param). inputs [param, grad, m, v, hyper, gradNormSq]; the output is `param` itself, and m
   * and v are updated in place too. hyper (f32[8], rewritten every step without a readback) =
   * [lr, beta1, beta2, eps, weightDecay, 1 - beta1^t, 1 - beta2^t, maxGradNorm (0: no clip)].
   * g' = g * min(1, maxGradNorm / (sqrt(gradNormSq) + 1e-6)); m = b1 m + (1-b1) g';
   * v = b2 v + (1-b2) g'^2; p -= lr * (m / bc1 / (sqrt(v / bc2) + eps) + weightDecay * p).
   */
  adamw: Record<string, never>;
}

export type OpKind = keyof OpAttrs;

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
];

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
