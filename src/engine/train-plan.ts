/**
 * The symbolic and planning half of a train step, shared by compileTrainStep and estimateMemory.
 *
 * Four plans over one graph, sharing slot tensors because they never run at once:
 *   first      forward + backward, each param's gradient written straight into its accumulator
 *   firstNorm  first + the global grad-norm-squared (sum of sumsq of the grads) into its buffer
 *   accum      forward + backward + accumulator += gradient (an in-place add)
 *   accumNorm  accum + the grad-norm-squared of the accumulated grads
 * An update appends one adamw launch per trainable param after a *Norm plan.
 */
import { buildBackward } from './autodiff.ts';
import type { DeviceTensor } from './backend.ts';
import type { Graph, Node } from './graph.ts';
import { type Plan, plan, type Slot, shareSlots } from './plan.ts';

/** Inputs named with this prefix are bound to gradient accumulators, never fed. */
export const GRAD_ACC_PREFIX = '__grad_acc.';

export interface TrainGraph {
  readonly loss: Node;
  readonly extras: readonly Node[];
  readonly trainable: readonly string[];
  readonly paramNode: ReadonlyMap<string, Node<'param'>>;
  /** Each trainable param's gradient: a computed node, distinct per param, safe to pin. */
  readonly grad: ReadonlyMap<string, Node>;
  readonly accIn: ReadonlyMap<string, Node<'input'>>;
  /** accIn + grad, written back into the accumulator. */
  readonly accSum: ReadonlyMap<string, Node>;
  readonly normFirst: Node;
  readonly normAccum: Node;
}

const cache = new WeakMap<Graph, Map<string, TrainGraph>>();

/**
 * Appends backward, accumulation and norm nodes to `graph` for these trainable params (once: a
 * second call with the same loss and names returns the same nodes).
 */
export function buildTrainGraph(
  graph: Graph,
  loss: Node,
  extras: readonly Node[],
  trainable: readonly string[],
): TrainGraph {
  if (trainable.length === 0)
    throw new Error('compileTrainStep: no trainable params; pass opts.trainable or mark params trainable');
  const key = `${loss.id}|${[...trainable].sort().join('\u0000')}`;
  const perGraph = cache.get(graph) ?? new Map<string, TrainGraph>();
  cache.set(graph, perGraph);
  const hit = perGraph.get(key);
  if (hit) return { ...hit, extras };

  const byName = new Map(graph.params().map((p) => [p.attrs.name, p]));
  const paramNode = new Map<string, Node<'param'>>();
  for (const name of trainable) {
    const p = byName.get(name);
    if (!p) throw new Error(`compileTrainStep: trainable param "${name}" is not in this graph`);
    paramNode.set(name, p);
  }
  const grads = buildBackward(graph, loss, [...paramNode.values()]);
  const grad = new Map<string, Node>();
  const used = new Set<Node>();
  for (const [name, p] of paramNode) {
    let g = grads.get(p);
    if (!g) {
      throw new Error(
        `compileTrainStep: the loss does not depend on trainable param "${name}"; leave it out of the trainable list`,
      );
    }
    // A pinned node lands in exactly one tensor, and leaves cannot be pinned: copy when needed.
    if (used.has(g) || g.op === 'input' || g.op === 'param') g = graph.reshape(g, g.shape);
    used.add(g);
    grad.set(name, g);
  }
  const accIn = new Map<string, Node<'input'>>();
  const accSum = new Map<string, Node>();
  for (const [name, p] of paramNode) {
    const inputName = GRAD_ACC_PREFIX + name;
    const existing = graph.inputs().find((n) => n.attrs.name === inputName);
    const a = existing ?? graph.input(inputName, p.shape);
    accIn.set(name, a);
    accSum.set(name, graph.add(a, grad.get(name) as Node));
  }
  const sumOfSquares = (nodes: Iterable<Node>): Node => {
    let total: Node | undefined;
    for (const n of nodes) total = total ? graph.add(total, graph.sumsq(n)) : graph.sumsq(n);
    return total as Node;
  };
  const tg: TrainGraph = {
    loss,
    extras,
    trainable: [...trainable],
    paramNode,
    grad,
    accIn,
    accSum,
    normFirst: sumOfSquares(grad.values()),
    normAccum: sumOfSquares(accSum.values()),
  };
  perGraph.set(key, tg);
  return tg;
}

export interface TrainPlans {
  readonly first: Plan;
  readonly firstNorm: Plan;
  readonly accum: Plan;
  readonly accumNorm: Plan;
  /** Slot tensors shared by the four plans, and each plan's slot -> shared slot map. */
  readonly sharedSlots: readonly Slot[];
  readonly slotMaps: Readonly<Record<'first' | 'firstNorm' | 'accum' | 'accumNorm', readonly number[]>>;
}

export interface TrainBindings {
  /** Params and fed inputs. */
  bind(leaf: Node<'input'> | Node<'param'>): DeviceTensor | undefined;
  accumulator(name: string): DeviceTensor;
  gradNormSq: DeviceTensor;
  reuse?: boolean;
  inPlace?: boolean;
}

export function planTrainStep(graph: Graph, tg: TrainGraph, b: TrainBindings): TrainPlans {
  const accOf = new Map<Node, string>([...tg.accIn].map(([name, n]) => [n, name]));
  const bind = (leaf: Node<'input'> | Node<'param'>) => {
    const accName = accOf.get(leaf);
    return accName !== undefined ? b.accumulator(accName) : b.bind(leaf);
  };
  const outputs = [tg.loss, ...tg.extras];
  const pins = (from: ReadonlyMap<string, Node>, norm?: Node): Map<Node, DeviceTensor> => {
    const m = new Map<Node, DeviceTensor>([...from].map(([name, n]) => [n, b.accumulator(name)]));
    if (norm) m.set(norm, b.gradNormSq);
    return m;
  };
  const mk = (pinned: Map<Node, DeviceTensor>) =>
    plan(graph, { outputs, bind, pinned, reuse: b.reuse, inPlace: b.inPlace });
  const first = mk(pins(tg.grad));
  const firstNorm = mk(pins(tg.grad, tg.normFirst));
  const accum = mk(pins(tg.accSum));
  const accumNorm = mk(pins(tg.accSum, tg.normAccum));
  const { slots, maps } = shareSlots([first, firstNorm, accum, accumNorm]);
  return {
    first,
    firstNorm,
    accum,
    accumNorm,
    sharedSlots: slots,
    slotMaps: { first: maps[0], firstNorm: maps[1], accum: maps[2], accumNorm: maps[3] },
  };
}
