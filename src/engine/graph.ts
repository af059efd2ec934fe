/**
 * The static graph: nodes recorded by a builder whose shapes come from the op registry's shape
 * rules (ops/shape-rules.ts). A graph is built once per (batch size, sequence-length bucket);
 * autodiff (autodiff.ts) appends the backward nodes to the same graph, and the planner turns it
 * into a backend-agnostic list of kernel launches.
 */

import { check, fmtShape, ShapeError, shapeEq } from './ops/shape.ts';
import { SHAPE_RULES } from './ops/shape-rules.ts';
import type { DType, GraphOp, OpAttrs, OpKind, Shape, UnaryFn } from './ops.ts';

export { ShapeError };

export interface Node<K extends OpKind = OpKind> {
  readonly id: number;
  readonly op: K;
  readonly inputs: readonly Node[];
  readonly attrs: OpAttrs[K];
  readonly shape: Shape;
  readonly dtype: DType;
}

export class Graph {
  readonly nodes: Node[] = [];
  private readonly paramsByName = new Map<string, Node<'param'>>();
  private readonly inputsByName = new Map<string, Node<'input'>>();

  /** Low-level node constructor, unchecked; prefer apply() or the typed helpers below. */
  node<K extends OpKind>(
    op: K,
    inputs: readonly Node[],
    attrs: OpAttrs[K],
    shape: Shape,
    dtype: DType = 'f32',
  ): Node<K> {
    const n: Node<K> = { id: this.nodes.length, op, inputs, attrs, shape: [...shape], dtype };
    this.nodes.push(n as Node);
    return n;
  }

  /** Records op `op` on `inputs`, its output shape given (and checked) by the op's shape rule. */
  apply<K extends GraphOp>(op: K, inputs: readonly Node[], attrs: OpAttrs[K]): Node<K> {
    const rule = SHAPE_RULES[op] as (inputs: readonly Node[], attrs: OpAttrs[K]) => Shape | Node;
    const out = rule(inputs, attrs);
    return 'shape' in out ? this.node(op, inputs, attrs, out.shape, out.dtype) : this.node(op, inputs, attrs, out);
  }

  // ---- leaves ----

  input(name: string, shape: Shape, dtype: DType = 'f32'): Node<'input'> {
    check(!this.inputsByName.has(name), () => `input "${name}" declared twice`);
    const n = this.node('input', [], { name }, shape, dtype);
    this.inputsByName.set(name, n);
    return n;
  }

  param(name: string, shape: Shape, trainable = true): Node<'param'> {
    const existing = this.paramsByName.get(name);
    if (existing) {
      check(
        shapeEq(existing.shape, shape),
        () => `param "${name}" reused with shape ${fmtShape(shape)} (was ${fmtShape(existing.shape)})`,
      );
      return existing;
    }
    const n = this.node('param', [], { name, trainable }, shape);
    this.paramsByName.set(name, n);
    return n;
  }

  params(): Node<'param'>[] {
    return [...this.paramsByName.values()];
  }

  inputs(): Node<'input'>[] {
    return [...this.inputsByName.values()];
  }

  // ---- typed helpers (semantics: ops/<family>/index.ts) ----

  add(a: Node, b: Node): Node {
    return this.apply('add', [a, b], {});
  }
  sub(a: Node, b: Node): Node {
    return this.apply('sub', [a, b], {});
  }
  mul(a: Node, b: Node): Node {
    return this.apply('mul', [a, b], {});
  }
  scale(a: Node, s: number): Node {
    return this.apply('scale', [a], { s });
  }
  unary(a: Node, fn: UnaryFn): Node {
    return this.apply('unary', [a], { fn });
  }

  /** x / (1 − p) where a seeded mask keeps it, else 0 (ops/dropout); seed: an i32 [1] input. */
  dropout(x: Node, seed: Node, p: number, salt: number): Node {
    return this.apply('dropout', [x, seed], { p, salt });
  }
  unaryGrad(a: Node, g: Node, fn: UnaryFn): Node {
    return this.apply('unary_grad', [a, g], { fn });
  }
  sumAll(a: Node): Node {
    return this.apply('sum_all', [a], {});
  }
  sumsq(a: Node): Node {
    return this.apply('sumsq', [a], {});
  }
  sumLeading(a: Node, keep: number): Node {
    return this.apply('sum_leading', [a], { keep });
  }
  broadcastTo(a: Node, shape: Shape): Node {
    return this.apply('broadcast_to', [a], { shape: [...shape] });
  }
  maskedRowSum(x: Node, mask: Node): Node {
    return this.apply('masked_row_sum', [x, mask], {});
  }
  expandRows(g: Node, mask: Node): Node {
    return this.apply('expand_rows', [g, mask], {});
  }
  matmul(a: Node, b: Node, transA = false, transB = false): Node {
    return this.apply('matmul', [a, b], { transA, transB });
  }
  reshape(a: Node, shape: Shape): Node {
    return this.apply('reshape', [a], { shape: [...shape] });
  }
  permute(a: Node, perm: readonly number[]): Node {
    return this.apply('permute', [a], { perm: [...perm] });
  }
  sliceLast(a: Node, start: number, len: number): Node {
    return this.apply('slice_last', [a], { start, len });
  }
  padLast(g: Node, start: number, total: number): Node {
    return this.apply('pad_last', [g], { start, total });
  }
  /** rep = 1 checks the shape, records nothing and returns a. */
  repeatHeads(a: Node, rep: number): Node {
    if (rep !== 1) return this.apply('repeat_heads', [a], { rep });
    SHAPE_RULES.repeat_heads([a], { rep });
    return a;
  }
  /** rep = 1 checks the shape, records nothing and returns g. */
  sumHeads(g: Node, rep: number): Node {
    if (rep !== 1) return this.apply('sum_heads', [g], { rep });
    SHAPE_RULES.sum_heads([g], { rep });
    return g;
  }
  embedding(table: Node, ids: Node): Node {
    return this.apply('embedding', [table, ids], {});
  }
  embeddingGrad(ids: Node, g: Node, vocab: number): Node {
    return this.apply('embedding_grad', [ids, g], { vocab });
  }
  layernorm(x: Node, w: Node, b: Node, eps: number): Node {
    return this.apply('layernorm', [x, w, b], { eps });
  }
  rmsnorm(x: Node, w: Node, eps: number): Node {
    return this.apply('rmsnorm', [x, w], { eps });
  }
  rope(x: Node, theta: number, inverse = false): Node {
    return this.apply('rope', [x], { theta, inverse });
  }
  softmaxCausal(scores: Node, keyMask: Node, scale: number): Node {
    return this.apply('softmax_causal', [scores, keyMask], { scale });
  }
  /** softmax_causal(scale * q k^T, keyMask) v without a stored score matrix (ops/attention). */
  flashAttention(q: Node, k: Node, v: Node, keyMask: Node, scale: number): Node {
    return this.apply('flash_attention', [q, k, v, keyMask], { scale });
  }
  ropeAt(x: Node, pos: Node, theta: number): Node {
    return this.apply('rope_at', [x, pos], { theta });
  }
  cacheWrite(cache: Node, x: Node, pos: Node): Node {
    return this.apply('cache_write', [cache, x, pos], {});
  }
  tokenLogprobs(logits: Node, targets: Node): Node {
    return this.apply('token_logprobs', [logits, targets], {});
  }
  /** log_softmax(hidden weight^T)[target] without a [N, V] logits tensor (ops/lm-head); weight [V, d]. */
  lmHeadLogprobs(hidden: Node, weight: Node, targets: Node): Node {
    return this.apply('lm_head_logprobs', [hidden, weight, targets], {});
  }
}
