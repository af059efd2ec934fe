/**
 * Analytic device-memory estimate of a compiled forward or train step, computed by running the
 * same planner on placeholder tensors and counting with the same function (accountMemory) as the
 * sessions, so it matches what they allocate.
 */
import type { DeviceTensor } from './backend.ts';
import type { Graph, Node } from './graph.ts';
import { accountMemory, type MemoryEstimate } from './memory-accounting.ts';
import { type DType, numel } from './ops.ts';
import { plan } from './plan.ts';
import { buildTrainGraph, planTrainStep } from './train-plan.ts';

export type { MemoryEstimate };

export interface MemoryRequest {
  graph: Graph;
  /** Forward: the outputs read back. Training: the extra outputs read besides the loss. */
  outputs: readonly Node[];
  /** Given: a train step (backward + AdamW) of this loss. */
  loss?: Node;
  /** Trainable param names (training only; default: the graph's params marked trainable). */
  trainable?: readonly string[];
  reuse?: boolean;
  inPlace?: boolean;
}

const placeholder = (n: number, dtype: DType): DeviceTensor => ({ numel: n, dtype });

/** Note: for training this appends the backward nodes to the graph (as compileTrainStep would, once). */
export function estimateMemory(req: MemoryRequest): MemoryEstimate {
  const { graph } = req;
  const params = graph.params().map((p) => p.shape);
  const fedInputs = new Set<Node>();
  const bind = (leaf: Node) => {
    if (leaf.op === 'input') fedInputs.add(leaf);
    return placeholder(numel(leaf.shape), leaf.dtype);
  };
  const inputs = () => [...fedInputs].map((n) => n.shape);
  if (!req.loss) {
    const p = plan(graph, { outputs: req.outputs, bind, reuse: req.reuse, inPlace: req.inPlace });
    return accountMemory({ params, inputs: inputs(), slots: p.slots });
  }
  const trainable =
    req.trainable ??
    graph
      .params()
      .filter((p) => p.attrs.trainable)
      .map((p) => p.attrs.name);
  const tg = buildTrainGraph(graph, req.loss, req.outputs, trainable);
  const acc = new Map([...tg.paramNode].map(([name, p]) => [name, placeholder(numel(p.shape), 'f32')]));
  const plans = planTrainStep(graph, tg, {
    bind,
    accumulator: (name) => acc.get(name) as DeviceTensor,
    gradNormSq: placeholder(1, 'f32'),
    reuse: req.reuse,
    inPlace: req.inPlace,
  });
  const trainableShapes = [...tg.paramNode.values()].map((p) => p.shape);
  return accountMemory({ params, trainable: trainableShapes, inputs: inputs(), slots: plans.sharedSlots });
}
