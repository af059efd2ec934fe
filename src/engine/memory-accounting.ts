/**
 * The one place device memory is accounted: the planner's slot sizes, the compiled sessions'
 * `memory`, estimateMemory (memory.ts) before anything is allocated, the training state and the
 * benchmark's analytic bytes all count with these functions, so their numbers agree by
 * construction.
 */
import { numel, type Shape } from './ops.ts';
import { ADAMW_HYPER_LEN } from './optim/adamw.ts';

/** Bytes per element: every engine dtype (f32, i32) is 4 bytes wide. */
export const ELEMENT_BYTES = 4;

/** Bytes per element of a param stored as f16 (precision 'f16-weights' on a device with shader-f16). */
export const HALF_ELEMENT_BYTES = 2;

/** Bytes of the AdamW hyper buffer and the grad-norm-squared scalar, on top of grads and moments. */
export const OPTIMIZER_SCALAR_BYTES = (ADAMW_HYPER_LEN + 1) * ELEMENT_BYTES;

/** Bytes of tensors of these shapes. */
export function shapeBytes(shapes: Iterable<Shape>): number {
  let b = 0;
  for (const s of shapes) b += numel(s) * ELEMENT_BYTES;
  return b;
}

/** Bytes of params of these shapes, of which those in `half` are stored as f16. */
export function paramBytes(params: Iterable<Shape>, half: Iterable<Shape> = []): number {
  let saved = 0;
  for (const s of half) saved += numel(s) * (ELEMENT_BYTES - HALF_ELEMENT_BYTES);
  return shapeBytes(params) - saved;
}

/** Bytes of allocations of these element counts (planner slots, workspace tensors). */
export function elementBytes(allocations: Iterable<{ readonly numel: number }>): number {
  let b = 0;
  for (const a of allocations) b += a.numel * ELEMENT_BYTES;
  return b;
}

/** AdamW's m and v per trainable param, plus the hyper and grad-norm buffers. */
export function optimizerBytes(trainable: Iterable<Shape>): number {
  return 2 * shapeBytes(trainable) + OPTIMIZER_SCALAR_BYTES;
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

export interface MemoryParts {
  /** Shapes of every param the graph reads. */
  readonly params: Iterable<Shape>;
  /** Those of `params` stored as f16 (frozen weights under precision 'f16-weights'); absent: none. */
  readonly halfParams?: Iterable<Shape>;
  /** Shapes of the trainable params; absent for a forward session (no grads, no optimizer). */
  readonly trainable?: Iterable<Shape>;
  /** Shapes of the inputs bound to device tensors. */
  readonly inputs: Iterable<Shape>;
  /** The planner's intermediate slots (shared ones, for a train step). */
  readonly slots: readonly { readonly numel: number }[];
}

/** The device memory of a compiled forward or train step, by kind. */
export function accountMemory(parts: MemoryParts): MemoryEstimate {
  const trainable = parts.trainable ? [...parts.trainable] : undefined;
  const paramBytes_ = paramBytes(parts.params, parts.halfParams);
  const gradBytes = trainable ? shapeBytes(trainable) : 0;
  const optBytes = trainable ? optimizerBytes(trainable) : 0;
  const inputBytes = shapeBytes(parts.inputs);
  const intermediateBytes = elementBytes(parts.slots);
  return {
    paramBytes: paramBytes_,
    gradBytes,
    optimizerBytes: optBytes,
    inputBytes,
    intermediateBytes,
    intermediateTensors: parts.slots.length,
    totalBytes: paramBytes_ + gradBytes + optBytes + inputBytes + intermediateBytes,
  };
}
