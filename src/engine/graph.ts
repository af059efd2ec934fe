/**
 * The static graph: nodes recorded by a builder with shape checking. A graph is built once per
 * (batch size, sequence-length bucket); autodiff (autodiff.ts) appends the backward nodes to the
 * same graph, and the planner turns it into a backend-agnostic list of kernel launches.
 */
import {
  type DType,
  fmtShape,
  isSuffix,
  numel,
  type OpAttrs,
  type OpKind,
  type Shape,
  shapeEq,
  type UnaryFn,
} from './ops.ts';

export interface Node<K extends OpKind = OpKind> {
  readonly id: number;
  readonly op: K;
  readonly inputs: readonly Node[];
  readonly attrs: OpAttrs[K];
  readonly shape: Shape;
  readonly dtype: DType;
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

function check(cond: boolean, msg: () => string): asserts cond {
  if (!cond) throw new ShapeError(msg());
}

export class Graph {
  readonly nodes: Node[] = [];
  private readonly paramsByName = new Map<string, Node<'param'>>();
  private readonly inputsByName = new Map<string, Node<'input'>>();

  /** Low-level node constructor; prefer the typed helpers below. */
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

  // ---- elementwise ----

  private binary(op: 'add' | 'sub' | 'mul', a: Node, b: Node): Node {
    check(
      shapeEq(a.shape, b.shape) || isSuffix(b.shape, a.shape),
      () => `${op}: ${fmtShape(b.shape)} does not broadcast to ${fmtShape(a.shape)}`,
    );
    return this.node(op, [a, b], {}, a.shape);
  }
  add(a: Node, b: Node): Node {
    return this.binary('add', a, b);
  }
  sub(a: Node, b: Node): Node {
    return this.binary('sub', a, b);
  }
  mul(a: Node, b: Node): Node {
    return this.binary('mul', a, b);
  }
  scale(a: Node, s: number): Node {
    return this.node('scale', [a], { s }, a.shape);
  }
  unary(a: Node, fn: UnaryFn): Node {
    return this.node('unary', [a], { fn }, a.shape);
  }
  unaryGrad(a: Node, g: Node, fn: UnaryFn): Node {
    check(shapeEq(a.shape, g.shape), () => `unary_grad: shapes ${fmtShape(a.shape)} vs ${fmtShape(g.shape)}`);
    return this.node('unary_grad', [a, g], { fn }, a.shape);
  }

  // ---- reductions ----

  sumAll(a: Node): Node {
    return this.node('sum_all', [a], {}, [1]);
  }
  sumsq(a: Node): Node {
    return this.node('sumsq', [a], {}, [1]);
  }
  sumLeading(a: Node, keep: number): Node {
    check(keep >= 0 && keep <= a.shape.length, () => `sum_leading: keep ${keep} of ${fmtShape(a.shape)}`);
    return this.node('sum_leading', [a], { keep }, keep === 0 ? [1] : a.shape.slice(a.shape.length - keep));
  }
  broadcastTo(a: Node, shape: Shape): Node {
    check(
      numel(a.shape) === 1 || isSuffix(a.shape, shape),
      () => `broadcast_to: ${fmtShape(a.shape)} -> ${fmtShape(shape)}`,
    );
    return this.node('broadcast_to', [a], { shape: [...shape] }, shape);
  }
  maskedRowSum(x: Node, mask: Node): Node {
    check(x.shape.length === 2 && shapeEq(x.shape, mask.shape), () => `masked_row_sum: ${fmtShape(x.shape)}`);
    return this.node('masked_row_sum', [x, mask], {}, [x.shape[0]]);
  }
  expandRows(g: Node, mask: Node): Node {
    check(mask.shape.length === 2 && g.shape[0] === mask.shape[0], () => `expand_rows: ${fmtShape(g.shape)}`);
    return this.node('expand_rows', [g, mask], {}, mask.shape);
  }

  // ---- matmul ----

  matmul(a: Node, b: Node, transA = false, transB = false): Node {
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
    return this.node('matmul', [a, b], { transA, transB }, [...batchA, M, N]);
  }

  // ---- shape ----

  reshape(a: Node, shape: Shape): Node {
    check(numel(shape) === numel(a.shape), () => `reshape ${fmtShape(a.shape)} -> ${fmtShape(shape)}`);
    return this.node('reshape', [a], { shape: [...shape] }, shape, a.dtype);
  }
  permute(a: Node, perm: readonly number[]): Node {
    check(
      perm.length === a.shape.length && perm.length <= 4 && [...perm].sort().every((p, i) => p === i),
      () => `permute: bad perm ${perm} for ${fmtShape(a.shape)}`,
    );
    return this.node(
      'permute',
      [a],
      { perm: [...perm] },
      perm.map((p) => a.shape[p]),
    );
  }
  sliceLast(a: Node, start: number, len: number): Node {
    const D = a.shape[a.shape.length - 1];
    check(start >= 0 && len > 0 && start + len <= D, () => `slice_last ${start}+${len} of ${D}`);
    return this.node('slice_last', [a], { start, len }, [...a.shape.slice(0, -1), len]);
  }
  padLast(g: Node, start: number, total: number): Node {
    const len = g.shape[g.shape.length - 1];
    check(start >= 0 && start + len <= total, () => `pad_last ${start}+${len} of ${total}`);
    return this.node('pad_last', [g], { start, total }, [...g.shape.slice(0, -1), total]);
  }
  repeatHeads(a: Node, rep: number): Node {
    check(a.shape.length === 4, () => `repeat_heads needs [B,H,T,D], got ${fmtShape(a.shape)}`);
    const [B, H, T, D] = a.shape;
    return rep === 1 ? a : this.node('repeat_heads', [a], { rep }, [B, H * rep, T, D]);
  }
  sumHeads(g: Node, rep: number): Node {
    const [B, H, T, D] = g.shape;
    check(H % rep === 0, () => `sum_heads: ${H} heads not divisible by ${rep}`);
    return rep === 1 ? g : this.node('sum_heads', [g], { rep }, [B, H / rep, T, D]);
  }

  // ---- nn ----

  embedding(table: Node, ids: Node): Node {
    check(table.shape.length === 2 && ids.dtype === 'i32', () => 'embedding: table [V,D] and i32 ids');
    return this.node('embedding', [table, ids], {}, [...ids.shape, table.shape[1]]);
  }
  embeddingGrad(ids: Node, g: Node, vocab: number): Node {
    return this.node('embedding_grad', [ids, g], { vocab }, [vocab, g.shape[g.shape.length - 1]]);
  }
  layernorm(x: Node, w: Node, b: Node, eps: number): Node {
    const D = x.shape[x.shape.length - 1];
    check(
      w.shape.length === 1 && w.shape[0] === D && shapeEq(b.shape, w.shape),
      () => `layernorm: weight ${fmtShape(w.shape)} vs dim ${D}`,
    );
    return this.node('layernorm', [x, w, b], { eps }, x.shape);
  }
  rmsnorm(x: Node, w: Node, eps: number): Node {
    const D = x.shape[x.shape.length - 1];
    check(w.shape.length === 1 && w.shape[0] === D, () => `rmsnorm: weight ${fmtShape(w.shape)} vs dim ${D}`);
    return this.node('rmsnorm', [x, w], { eps }, x.shape);
  }
  rope(x: Node, theta: number, inverse = false): Node {
    check(
      x.shape.length === 4 && x.shape[3] % 2 === 0,
      () => `rope needs [B,H,T,D] with even D, got ${fmtShape(x.shape)}`,
    );
    return this.node('rope', [x], { theta, inverse }, x.shape);
  }
  softmaxCausal(scores: Node, keyMask: Node, scale: number): Node {
    const [B, , Tq, Tk] = scores.shape;
    check(
      scores.shape.length === 4 && Tq <= Tk && shapeEq(keyMask.shape, [B, Tk]),
      () => `softmax_causal: ${fmtShape(scores.shape)} with mask ${fmtShape(keyMask.shape)}`,
    );
    return this.node('softmax_causal', [scores, keyMask], { scale }, scores.shape);
  }
  ropeAt(x: Node, pos: Node, theta: number): Node {
    check(
      x.shape.length === 4 && x.shape[3] % 2 === 0 && pos.dtype === 'i32' && shapeEq(pos.shape, [x.shape[0]]),
      () => `rope_at needs x [B,H,T,D] (even D) and i32 pos [B], got ${fmtShape(x.shape)}, ${fmtShape(pos.shape)}`,
    );
    return this.node('rope_at', [x, pos], { theta }, x.shape);
  }
  cacheWrite(cache: Node, x: Node, pos: Node): Node {
    const [B, H, , D] = cache.shape;
    check(
      x.shape.length === 4 && x.shape[0] === B && x.shape[1] === H && x.shape[3] === D && pos.dtype === 'i32',
      () => `cache_write: cache ${fmtShape(cache.shape)}, x ${fmtShape(x.shape)}`,
    );
    return this.node('cache_write', [cache, x, pos], {}, cache.shape);
  }
  tokenLogprobs(logits: Node, targets: Node): Node {
    check(
      logits.shape.length === 2 && targets.dtype === 'i32' && shapeEq(targets.shape, [logits.shape[0]]),
      () => `token_logprobs: logits ${fmtShape(logits.shape)}, targets ${fmtShape(targets.shape)}`,
    );
    return this.node('token_logprobs', [logits, targets], {}, [logits.shape[0]]);
  }
}
