/**
 * What a backend provides. The graph, autodiff and planner are backend-agnostic: the planner
 * emits a list of launches over device tensors, and a backend compiles that list once (pipelines,
 * bind groups, CPU closures) and runs it many times. The CPU backend is the numerical reference.
 */
import type { MemoryBudget } from './memory-fit.ts';
import type { DType, OpAttrs, OpKind, Shape } from './ops.ts';

/** A device allocation. It may be larger than the tensor that a launch views through it. */
export interface DeviceTensor {
  readonly numel: number;
  readonly dtype: DType;
}

export interface TensorView {
  readonly tensor: DeviceTensor;
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface Launch<K extends OpKind = OpKind> {
  readonly op: K;
  readonly attrs: OpAttrs[K];
  readonly inputs: readonly TensorView[];
  readonly output: TensorView;
}

/** A compiled list of launches. `run` enqueues them all (one submission on WebGPU). */
export interface Program {
  run(): void;
  /** Counters for benchmarks: kernel dispatches per run, submissions per run. */
  readonly stats: { dispatches: number; submissions: number };
  /** Frees what the program owns (WebGPU: uniform and scratch buffers); it must not run again. */
  dispose(): void;
}

export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** Zero-filled allocation. */
  alloc(numel: number, dtype: DType): DeviceTensor;
  free(t: DeviceTensor): void;
  /** Queue a host-to-device copy, starting at element `offset`. */
  write(t: DeviceTensor, data: Float32Array | Int32Array, offset?: number): void;
  /** Device-to-host copy of the first `count` elements (default all). */
  read(t: DeviceTensor, count?: number): Promise<Float32Array | Int32Array>;
  compile(launches: readonly Launch[]): Program;
  /** Resolves when all queued work is done. */
  sync(): Promise<void>;
  dispose(): void;
  /** What this backend can hold, for checkFits (memory-fit.ts); absent: no limit is known. */
  memoryBudget?(): MemoryBudget;
  /**
   * A zero-filled f32 tensor stored as f16 (2 bytes an element): writes round to f16, reads and
   * kernels see f32. Present only where the device can hold f16 (WebGPU with `shader-f16`);
   * precision/index.ts decides which params use it.
   */
  allocHalf?(numel: number): DeviceTensor;
}
