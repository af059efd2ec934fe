/**
 * Will a session fit on this device? Checked once, from the model's config and weight shapes,
 * BEFORE any graph is built or any buffer allocated, so a model that cannot fit is refused in
 * milliseconds with the numbers instead of exhausting the heap or the GPU halfway through.
 *
 * Weights, gradients and optimizer state are exact (counted with accountMemory, like the compiled
 * sessions). Activations are a LOWER bound: only tensors every forward or train step of these
 * architectures must hold (the logits and, for training, what each layer keeps for its backward).
 * The planner's real numbers are larger (test/unit/memory-fit.test.ts checks that), so the check
 * can only refuse a model that truly cannot fit, never one that would have fitted.
 */
import { accountMemory, ELEMENT_BYTES, type MemoryEstimate } from './memory-accounting.ts';
import { type AttentionMode, shouldFuseAttention } from './ops/attention/index.ts';
import { type LmHeadMode, shouldChunkLmHead } from './ops/lm-head/index.ts';
import type { Shape } from './ops.ts';

/** What a backend can hold. */
export interface MemoryBudget {
  /** Bytes all of a session's tensors may take together; undefined when the device does not say. */
  readonly totalBytes?: number;
  /** Where totalBytes comes from, for the message (e.g. "this machine's memory"). */
  readonly totalSource: string;
  /** Bytes of the largest single tensor the backend can allocate and bind. */
  readonly maxTensorBytes: number;
  readonly maxTensorSource: string;
  /** Another backend worth suggesting in the fix (e.g. "use the CPU backend"), if any. */
  readonly alternative?: string;
}

/** The sizes of a model the activation bound needs (a ModelConfig has them all). */
export interface ModelDims {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
}

export interface SessionMemoryRequest {
  readonly dims: ModelDims;
  /** Shapes of every weight the session reads. */
  readonly params: Iterable<Shape>;
  /** Shapes of the trainable params (LoRA adapters or every weight); absent for scoring/generation. */
  readonly trainable?: Iterable<Shape>;
  /** Those of `params` stored as f16, 2 bytes an element (frozen weights under 'f16-weights' with shader-f16). */
  readonly halfParams?: Iterable<Shape>;
  /** Sequences per step (a preference micro-batch has 2 per pair) and their padded length. */
  readonly rows: number;
  readonly length: number;
  /** The graphs' BuildOptions.attention and .lmHead (default 'auto'): the estimate follows the same choice. */
  readonly attention?: AttentionMode;
  readonly lmHead?: LmHeadMode;
}

export interface SessionMemoryEstimate extends MemoryEstimate {
  /** The largest single tensor, weights and activations alike. */
  readonly largestTensorBytes: number;
  readonly paramCount: number;
  readonly training: boolean;
}

/** Analytic estimate of a session's memory, from shapes alone (no graph, no allocation). */
export function estimateSessionMemory(req: SessionMemoryRequest): SessionMemoryEstimate {
  const params = [...req.params];
  const trainable = req.trainable ? [...req.trainable] : undefined;
  const { vocabSize: V, hiddenSize: d, numLayers: L, numHeads: H, intermediateSize: I } = req.dims;
  const B = req.rows;
  const T = req.length;
  // The LM head's output: the logits, or where the sequence graphs use the chunked head (same rule)
  // no [B*T, V] tensor at all, only its input [B*T, d] (and, training, that input's gradient).
  const logits = shouldChunkLmHead(B * T, V, req.lmHead) ? B * T * d : B * T * V;
  // Attention scores [B, H, T, T], unless the models fuse attention at this length (same rule): then none.
  const scores = shouldFuseAttention(T, req.attention) ? 0 : B * H * T * T;
  const slots: { numel: number }[] = [{ numel: logits }];
  if (trainable) {
    // The logits' gradient, and per layer the residual input, attention probabilities and MLP
    // hidden activations kept for the backward pass.
    slots.push({ numel: logits });
    for (let l = 0; l < L; l++) slots.push({ numel: B * T * d }, { numel: scores }, { numel: B * T * I });
  } else {
    // A forward pass holds at least one layer's attention scores and MLP hidden state at a time.
    slots.push({ numel: scores }, { numel: B * T * I });
  }
  const estimate = accountMemory({ params, halfParams: req.halfParams, trainable, inputs: [[B, T]], slots });
  let largest = Math.max(logits, scores, B * T * I);
  let paramCount = 0;
  for (const s of params) {
    const n = s.reduce((a, b) => a * b, 1);
    paramCount += n;
    largest = Math.max(largest, n);
  }
  return { ...estimate, largestTensorBytes: largest * ELEMENT_BYTES, paramCount, training: trainable !== undefined };
}

/** Thrown by checkFits; `message` has the numbers and the fix. */
export class ModelDoesNotFitError extends Error {
  override name = 'ModelDoesNotFitError';
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;
/** Bytes in the unit that reads best. */
export function formatBytes(n: number): string {
  return n >= GiB ? `${(n / GiB).toFixed(2)} GiB` : `${(n / MiB).toFixed(1)} MiB`;
}

function formatCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${n}`;
}

/**
 * Throws ModelDoesNotFitError when the estimate is over the budget's total or per-tensor limit.
 * `what` names the model and the session (e.g. "gpt2 (full fine-tuning, 8 x 512 tokens)").
 */
export function checkFits(estimate: SessionMemoryEstimate, budget: MemoryBudget | undefined, what: string): void {
  if (!budget) return;
  const problems: string[] = [];
  if (budget.totalBytes !== undefined && estimate.totalBytes > budget.totalBytes) {
    problems.push(
      `it needs at least ${formatBytes(estimate.totalBytes)} but ${budget.totalSource} is ${formatBytes(budget.totalBytes)}`,
    );
  }
  if (estimate.largestTensorBytes > budget.maxTensorBytes) {
    problems.push(
      `its largest tensor needs ${formatBytes(estimate.largestTensorBytes)} but ${budget.maxTensorSource} is ${formatBytes(budget.maxTensorBytes)}`,
    );
  }
  if (problems.length === 0) return;
  const e = estimate;
  const parts = [
    `weights ${formatBytes(e.paramBytes)}`,
    `gradients ${formatBytes(e.gradBytes)}`,
    `optimizer state ${formatBytes(e.optimizerBytes)}`,
    `activations at least ${formatBytes(e.intermediateBytes + e.inputBytes)}`,
  ];
  const fixes = [
    ...(e.training
      ? ['train with LoRA instead of full fine-tuning', 'lower training.batchSize or data.maxLength']
      : []),
    ...(e.training ? [] : ['lower the batch size or maxLength']),
    ...(budget.alternative ? [budget.alternative] : []),
  ];
  const fix = `${fixes.join(', ')}, or pick a smaller model`;
  throw new ModelDoesNotFitError(
    `${what} with ${formatCount(e.paramCount)} parameters does not fit on this device: ${problems.join('; ')} ` +
      `(${parts.join(', ')}). To fix: ${fix}.`,
  );
}
