/**
 * Analytic device-memory estimate of a compiled forward or train step, computed by running the
 * same planner on placeholder tensors, so it matches what the sessions allocate.
 */
import type { DeviceTensor } from './backend.ts';
import type { Graph, Node } from './graph.ts';
import { type DType, numel } from './ops.ts';
import { plan, slotBytes } from './plan.ts';
import { buildTrainGraph, planTrainStep } from './train-plan.ts';
import { OPTIMIZER_SCALAR_BYTES } from './train-state.ts';

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

export interface MemoryEstimate {
  /** Every param the graph reads (frozen ones included). */
  paramBytes: number;
  /** Gradient accumulators of the trainable params. */
  gradBytes: number;
  /** AdamW m and v, plus the hyper and grad-norm buffers. */
  optimizerBytes: number;
  /** Fed inputs (ids, masks, reference log-probs...). */
  inputBytes: number;
  /** Planned intermediate slots (activations, backward temporaries). */
  intermediateBytes: number;
  intermediateTensors: number;
  totalBytes: number;
}

const placeholder = (n: number, dtype: DType): DeviceTensor => ({ numel: n, dtype });

/** Note: for training this appends the backward nodes to the graph (as compileTrainStep would, once). */
export function estimateMemory(req: MemoryRequest): MemoryEstimate {
  const { graph } = req;
  const paramBytes = graph.params().reduce((s, p) => s + numel(p.shape) * 4, 0);
  const fedInputs = new Set<Node>();
  const bind = (leaf: Node) => {
    if (leaf.op === 'input') fedInputs.add(leaf);
    return placeholder(numel(leaf.shape), leaf.dtype);
  };
  const inputBytesOf = () => [...fedInputs].reduce((s, n) => s + numel(n.shape) * 4, 0);
  if (!req.loss) {
    const p = plan(graph, { outputs: req.outputs, bind, reuse: req.reuse, inPlace: req.inPlace });
    const intermediateBytes = slotBytes(p.slots);
    const inputBytes = inputBytesOf();
    return {
      paramBytes,
      gradBytes: 0,
      optimizerBytes: 0,
      inputBytes,
      intermediateBytes,
      intermediateTensors: p.slots.length,
      totalBytes: paramBytes + inputBytes + intermediateBytes,
    };
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
  const gradBytes = [...acc.values()].reduce((s, t) => s + t.numel * 4, 0);
  const optimizerBytes = 2 * gradBytes + OPTIMIZER_SCALAR_BYTES;
  const intermediateBytes = slotBytes(plans.sharedSlots);
  const inputBytes = inputBytesOf();
  return {
    paramBytes,
    gradBytes,
    optimizerBytes,
    inputBytes,
    intermediateBytes,
    intermediateTensors: plans.sharedSlots.length,
    totalBytes: paramBytes + gradBytes + optimizerBytes + inputBytes + intermediateBytes,
  };
}
