/**
 * The op catalogue: the contract between the graph (and its autodiff), the CPU backend and the
 * WebGPU backend. Each op family lives in one folder under ops/ with its attributes and
 * semantics (index.ts), its backward rules (backward.ts), its CPU kernels (cpu.ts, the numerical
 * reference) and its WGSL kernels (wgsl.ts); ops/shape-rules.ts, ops/backward-rules.ts,
 * ops/cpu-kernels.ts and ops/wgsl-kernels.ts are the registries the graph builder, autodiff and
 * the two backends dispatch through. This file only assembles the catalogue's types.
 *
 * Every op has one output. Elementwise ops must allow the output to alias input 0, so gradient
 * accumulation can run in place.
 */
import type { AdamwAttrs } from './ops/adamw/index.ts';
import type { AttentionAttrs } from './ops/attention/index.ts';
import type { CacheAttrs } from './ops/cache/index.ts';
import type { DropoutAttrs } from './ops/dropout/index.ts';
import type { ElementwiseAttrs } from './ops/elementwise/index.ts';
import type { EmbeddingAttrs } from './ops/embedding/index.ts';
import type { LayoutAttrs } from './ops/layout/index.ts';
import type { LmHeadAttrs } from './ops/lm-head/index.ts';
import type { LogprobsAttrs } from './ops/logprobs/index.ts';
import type { MatmulAttrs } from './ops/matmul/index.ts';
import type { NormAttrs } from './ops/norm/index.ts';
import type { ReduceAttrs } from './ops/reduce/index.ts';
import type { RopeAttrs } from './ops/rope/index.ts';
import type { SoftmaxAttrs } from './ops/softmax/index.ts';

export { UNARY_DOMAIN, UNARY_FNS, type UnaryFn } from './ops/elementwise/index.ts';
export { type DType, fmtShape, isSuffix, numel, type Shape, shapeEq } from './ops/shape.ts';

/** The graph's leaves: bound to tensors by the planner, never launched. */
export interface LeafAttrs {
  /** Placeholder fed before each run (token ids, masks, reference log-probs...). */
  input: { name: string };
  /** Persistent weight. `trainable: false` marks frozen weights (no gradient is built). */
  param: { name: string; trainable: boolean };
}

export interface OpAttrs
  extends LeafAttrs,
    ElementwiseAttrs,
    ReduceAttrs,
    MatmulAttrs,
    LayoutAttrs,
    EmbeddingAttrs,
    NormAttrs,
    RopeAttrs,
    CacheAttrs,
    SoftmaxAttrs,
    AttentionAttrs,
    LogprobsAttrs,
    LmHeadAttrs,
    DropoutAttrs,
    AdamwAttrs {}

export type OpKind = keyof OpAttrs;
/** Ops a backend runs (everything but the graph's leaves). */
export type KernelOp = Exclude<OpKind, keyof LeafAttrs>;
/** Ops the graph builder records with a shape rule (kernel ops but the optimizer update). */
export type GraphOp = Exclude<KernelOp, keyof AdamwAttrs>;
