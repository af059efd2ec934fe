/**
 * Reverse-mode autodiff on the static graph: buildBackward appends the backward nodes to the
 * same graph, using each op's backward rule (ops/<family>/backward.ts, gathered in
 * ops/backward-rules.ts), and returns the gradient node of each requested node.
 *
 * The loss gradient is seeded by the input LOSS_SEED_INPUT (shape of the loss); the session
 * writes ones into it unless a feed supplies other values, so for a non-scalar loss the result
 * is the gradient of sum(loss), or of sum(loss * seed) when fed (a vector-Jacobian product).
 */
import type { Graph, Node } from './graph.ts';
import { type BackwardRule, GradientError, type Needs, noGradient } from './ops/backward-kit.ts';
import { BACKWARD_RULES } from './ops/backward-rules.ts';
import { fmtShape, shapeEq } from './ops/shape.ts';
import type { GraphOp } from './ops.ts';

export { GradientError };

export const LOSS_SEED_INPUT = '__loss_grad';

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

/** Gradients of one node's inputs (undefined where not needed) given the gradient g of its output. */
function backwardOf(graph: Graph, n: Node, g: Node, needs: Needs): (Node | undefined)[] {
  const rule = BACKWARD_RULES[n.op as GraphOp] as BackwardRule<GraphOp> | undefined;
  return rule ? rule(graph, n as Node<GraphOp>, g, needs) : noGradient(n);
}
