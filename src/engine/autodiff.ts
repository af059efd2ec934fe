/**
 * Reverse-mode autodiff on the static graph: buildBackward appends the backward nodes to the
 * same graph, using only ops from ops.ts, and returns the gradient node of each requested node.
 *
 * The loss gradient is seeded by the input LOSS_SEED_INPUT (shape of the loss); the session
 * writes ones into it unless a feed supplies other values, so for a non-scalar loss the result
 * is the gradient of sum(loss), or of sum(loss * seed) when fed (a vector-Jacobian product).
 */
import type { Graph, Node } from './graph.ts';
import { fmtShape, numel, type OpAttrs, type OpKind, shapeEq } from './ops.ts';

export const LOSS_SEED_INPUT = '__loss_grad';

export class GradientError extends Error {
  override name = 'GradientError';
}

/** The seed input of a graph (created once, shared by every backward built on it). */
export function lossSeed(graph: Graph, loss: Node): Node {
  const existing = graph.inputs().find((n) => n.attrs.name === LOSS_SEED_INPUT);
  if (existing) {
    if (!shapeEq(existing.shape, loss.shape)) {
      throw new GradientError(
        `buildBackward: this graph already has a loss seed of shape ${fmtShape(existing.shape)}, but the loss is ${fmtShape(loss.shape)}; use one loss shape per graph`,
      );
    }
    return existing;
  }
  return graph.input(LOSS_SEED_INPUT, loss.shape);
}

/**
 * Gradients of `loss` with respect to each node of `wrt` (usually params). Only nodes on a path
 * from a `wrt` node to the loss get gradients: frozen params and inputs cost nothing. A `wrt`
 * node that does not reach the loss is absent from the result (its gradient is zero).
 */
export function buildBackward(graph: Graph, loss: Node, wrt: readonly Node[]): Map<Node, Node> {
  if (loss.dtype !== 'f32') throw new GradientError('buildBackward: the loss must be an f32 node');
  for (const w of wrt) {
    if (graph.nodes[w.id] !== w)
      throw new GradientError(`buildBackward: wrt node #${w.id} (${w.op}) is not in this graph`);
  }
  if (graph.nodes[loss.id] !== loss) throw new GradientError('buildBackward: the loss node is not in this graph');

  const active = activeNodes(graph, loss, wrt);
  const grads = new Map<Node, Node>();
  if (!active.has(loss)) return grads;

  const pending = new Map<Node, Node[]>([[loss, [lossSeed(graph, loss)]]]);
  const wrtSet = new Set(wrt);
  // Node ids are a topological order, so walking them backwards sees every consumer first.
  for (let id = loss.id; id >= 0; id--) {
    const node = graph.nodes[id];
    const parts = pending.get(node);
    if (!parts) continue;
    pending.delete(node);
    const g = sumParts(graph, parts);
    if (wrtSet.has(node)) grads.set(node, g);
    if (node.op === 'input' || node.op === 'param') continue;
    const inputGrads = backwardOf(graph, node, g, (i) => active.has(node.inputs[i]));
    node.inputs.forEach((inp, i) => {
      const gi = inputGrads[i];
      if (!active.has(inp) || !gi) return;
      if (!shapeEq(gi.shape, inp.shape)) {
        throw new GradientError(
          `internal: gradient of ${inp.op} #${inp.id} has shape ${fmtShape(gi.shape)}, expected ${fmtShape(inp.shape)}`,
        );
      }
      const list = pending.get(inp);
      if (list) list.push(gi);
      else pending.set(inp, [gi]);
    });
  }
  return grads;
}

/** Nodes that depend on a wrt node and that the loss depends on. */
function activeNodes(graph: Graph, loss: Node, wrt: readonly Node[]): Set<Node> {
  const fromWrt = new Set<Node>(wrt);
  for (const n of graph.nodes) {
    if (n.id > loss.id) break;
    if (n.inputs.some((i) => fromWrt.has(i))) fromWrt.add(n);
  }
  const active = new Set<Node>();
  const stack = [loss];
  while (stack.length) {
    const n = stack.pop() as Node;
    if (active.has(n) || !fromWrt.has(n)) continue;
    active.add(n);
    stack.push(...n.inputs);
  }
  return active;
}

function sumParts(graph: Graph, parts: Node[]): Node {
  let g = parts[0];
  for (let i = 1; i < parts.length; i++) g = graph.add(g, parts[i]);
  return g;
}

/** Reduces a broadcast operand's gradient back to its shape (b is a's shape or a trailing suffix). */
function unbroadcast(graph: Graph, g: Node, target: Node): Node {
  return shapeEq(g.shape, target.shape) ? g : graph.sumLeading(g, target.shape.length);
}

type Needs = (inputIndex: number) => boolean;

/** Gradients of one node's inputs (undefined where not needed) given the gradient g of its output. */
function backwardOf(graph: Graph, n: Node, g: Node, needs: Needs): (Node | undefined)[] {
  const [a, b] = n.inputs;
  const attrs = n.attrs as OpAttrs[OpKind];
  const when = (i: number, make: () => Node): Node | undefined => (needs(i) ? make() : undefined);
  switch (n.op) {
    case 'add':
      return [when(0, () => g), when(1, () => unbroadcast(graph, g, b))];
    case 'sub':
      return [when(0, () => g), when(1, () => graph.scale(unbroadcast(graph, g, b), -1))];
    case 'mul':
      return [when(0, () => graph.mul(g, b)), when(1, () => unbroadcast(graph, graph.mul(g, a), b))];
    case 'scale':
      return [graph.scale(g, (attrs as OpAttrs['scale']).s)];
    case 'unary':
      return [graph.unaryGrad(a, g, (attrs as OpAttrs['unary']).fn)];
    case 'sum_all':
      return [graph.broadcastTo(g, a.shape)];
    case 'sumsq':
      return [graph.scale(graph.mul(a, graph.broadcastTo(g, a.shape)), 2)];
    case 'sum_leading':
      return [graph.broadcastTo(g, a.shape)];
    case 'broadcast_to':
      return [numel(a.shape) === 1 ? reshapeTo(graph, graph.sumAll(g), a) : graph.sumLeading(g, a.shape.length)];
    case 'masked_row_sum':
      noGradThrough(n, 1, needs, 'the mask');
      return [graph.expandRows(g, b)];
    case 'expand_rows':
      noGradThrough(n, 1, needs, 'the mask');
      return [graph.maskedRowSum(g, b)];
    case 'matmul':
      return matmulBackward(graph, n as Node<'matmul'>, g, needs);
    case 'reshape':
      return [graph.reshape(g, a.shape)];
    case 'permute': {
      const perm = (attrs as OpAttrs['permute']).perm;
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [graph.permute(g, inverse)];
    }
    case 'slice_last':
      return [graph.padLast(g, (attrs as OpAttrs['slice_last']).start, a.shape[a.shape.length - 1])];
    case 'pad_last': {
      const len = a.shape[a.shape.length - 1];
      return [graph.sliceLast(g, (attrs as OpAttrs['pad_last']).start, len)];
    }
    case 'repeat_heads':
      return [graph.sumHeads(g, (attrs as OpAttrs['repeat_heads']).rep)];
    case 'sum_heads':
      return [graph.repeatHeads(g, (attrs as OpAttrs['sum_heads']).rep)];
    case 'embedding':
      return [graph.embeddingGrad(b, g, a.shape[0]), undefined];
    case 'layernorm': {
      const { eps } = attrs as OpAttrs['layernorm'];
      const [x, w] = n.inputs;
      return [
        when(0, () => graph.node('layernorm_grad_x', [x, w, g], { eps }, x.shape)),
        when(1, () => graph.node('layernorm_grad_w', [x, g], { eps }, w.shape)),
        when(2, () => graph.sumLeading(g, 1)),
      ];
    }
    case 'rmsnorm': {
      const { eps } = attrs as OpAttrs['rmsnorm'];
      const [x, w] = n.inputs;
      return [
        when(0, () => graph.node('rmsnorm_grad_x', [x, w, g], { eps }, x.shape)),
        when(1, () => graph.node('rmsnorm_grad_w', [x, g], { eps }, w.shape)),
      ];
    }
    case 'rope': {
      const { theta, inverse } = attrs as OpAttrs['rope'];
      return [graph.rope(g, theta, !inverse)];
    }
    case 'softmax_causal': {
      noGradThrough(n, 1, needs, 'the key mask');
      const { scale } = attrs as OpAttrs['softmax_causal'];
      return [graph.node('softmax_causal_grad', [n, g], { scale }, n.shape), undefined];
    }
    case 'token_logprobs':
      return [graph.node('token_logprobs_grad', [a, b, g], {}, a.shape), undefined];
    default:
      throw new GradientError(
        `buildBackward: op "${n.op}" (node #${n.id}, shape ${fmtShape(n.shape)}) has no gradient; it is a backward-only or inference-only op and must not lie between a trainable param and the loss`,
      );
  }
}

function reshapeTo(graph: Graph, g: Node, like: Node): Node {
  return shapeEq(g.shape, like.shape) ? g : graph.reshape(g, like.shape);
}

function noGradThrough(n: Node, i: number, needs: Needs, what: string): void {
  if (needs(i)) {
    throw new GradientError(
      `buildBackward: ${n.op} (node #${n.id}) has no gradient for ${what}, but ${what} depends on a param being differentiated; compute it from inputs only`,
    );
  }
}

/**
 * out = A' B' with A' = transA ? a^T : a, B' likewise. dA' = G B'^T, dB' = A'^T G, transposed back
 * where the operand was stored transposed. A 2-D b shared across a batched a gets its gradient
 * from the batch folded into rows.
 */
function matmulBackward(graph: Graph, n: Node<'matmul'>, g: Node, needs: Needs): (Node | undefined)[] {
  const [a, b] = n.inputs;
  const { transA, transB } = n.attrs;
  const ga = needs(0) ? (transA ? graph.matmul(b, g, transB, true) : graph.matmul(g, b, false, !transB)) : undefined;
  let gb: Node | undefined;
  if (needs(1)) {
    let a2 = a;
    let g2 = g;
    if (b.shape.length === 2 && a.shape.length > 2) {
      // transA is false here (graph.matmul enforces it): fold the batch into rows.
      a2 = graph.reshape(a, [numel(a.shape) / a.shape[a.shape.length - 1], a.shape[a.shape.length - 1]]);
      g2 = graph.reshape(g, [numel(g.shape) / g.shape[g.shape.length - 1], g.shape[g.shape.length - 1]]);
    }
    gb = transB ? graph.matmul(g2, a2, true, transA) : graph.matmul(a2, g2, !transA, false);
  }
  return [ga, gb];
}
