/** What kernel builders receive (KernelContext) and produce (DispatchSpec). */
import type { Launch } from '../../../backend.ts';
import type { KernelOp } from '../../../ops.ts';
import type { GpuTensor, SegmentLayout } from '../tensor.ts';
import type { MatmulTileName } from './matmul-tiles.ts';

export type MatmulVariant = 'tiled' | 'register';

/** How row reductions run: a workgroup per row (GPUs) or a thread per row (CPU adapters). */
export type RowStrategy = 'workgroup' | 'thread';

export interface KernelLimits {
  /** Threads per workgroup the kernels may use (<= maxComputeInvocationsPerWorkgroup, <= 256). */
  readonly maxThreads: number;
  readonly maxStorageBuffers: number;
  readonly maxWorkgroupStorageBytes: number;
  readonly maxWorkgroupsPerDim: number;
}

export interface KernelContext {
  readonly device: GPUDevice;
  readonly layout: SegmentLayout;
  readonly limits: KernelLimits;
  /** Matmul kernel family: shared-memory tiles (real GPUs) or register blocks only (CPU adapters). */
  readonly matmul: MatmulVariant;
  /** Row and whole-tensor reductions: workgroup-parallel (GPUs) or serial per thread (CPU adapters). */
  readonly rows: RowStrategy;
  /** Tile shape of the 'tiled' matmul (matmul-tiles.ts); default 64x64. */
  readonly matmulTile?: MatmulTileName;
  /** Present when kernels may use subgroup operations ('subgroups' enabled and not turned off). */
  readonly subgroups?: { readonly maxSize: number };
  /** Whether products with a short side use the skinny matmul (matmul-skinny.ts); default true. */
  readonly skinnyMatmul?: boolean;
  /** Set while building a producer whose output stores run a fused epilogue (fusion/epilogue.ts). */
  readonly storeHook?: StoreHook;
  /** Set while building a consumer that computes some inputs from their producers' (fusion/prologue.ts). */
  readonly loadHooks?: readonly LoadHook[];
  /** A program-owned scratch storage buffer (freed with the program). */
  scratch(bytes: number): GPUBuffer;
  /** A read-only f32 table cached by the backend under `key` (e.g. rotary cos/sin). */
  constant(key: string, make: () => Float32Array): GPUBuffer;
}

export interface BufferBinding {
  readonly buffer: GPUBuffer;
  /** Bytes bound from offset 0; the whole buffer when absent. */
  readonly size?: number;
}

/** One compute dispatch, fully resolved: WGSL module (entry `main`), uniform bytes, storage buffers. */
export interface DispatchSpec {
  readonly label: string;
  readonly wgsl: string;
  readonly uniform: ArrayBuffer;
  /** Storage buffers for @binding(1..n), in order; the uniform is @binding(0). */
  readonly bindings: readonly BufferBinding[];
  readonly access: readonly ('read' | 'read_write')[];
  readonly workgroups: readonly [number, number, number];
}

/** An op's WGSL kernel: the dispatches that compute one launch. */
export type WgslKernel<K extends KernelOp> = (launch: Launch<K>, ctx: KernelContext) => DispatchSpec[];

export type WgslKernels<Ops extends KernelOp> = { readonly [K in Ops]: WgslKernel<K> };

/** What a fusion hook may do to the kernel it is installed in (kernels/builder.ts's Kernel has it). */
export interface HookKernel {
  tensor(name: string, tensor: GpuTensor, count: number, access: 'read' | 'read_write'): unknown;
}

/**
 * Replaces the store of a kernel's output (fusion/epilogue.ts): when a kernel binds `out` to
 * `target`, its own store becomes `raw` and `install` binds what the hook needs and returns the
 * WGSL of the `st_out(i, v)` the kernel body calls.
 */
export interface StoreHook {
  readonly target: GpuTensor;
  /** Module-scope WGSL the hook uses, left out when the kernel already declares it. */
  readonly helpers?: string;
  install(k: HookKernel, raw: string): string;
}

/**
 * Replaces the loads of a tensor a kernel reads (fusion/prologue.ts): when a kernel binds
 * `target` read-only under `name`, `install` binds the producer's inputs instead and returns the
 * WGSL of `ld_<name>(i)`, which computes element i from them.
 */
export interface LoadHook {
  readonly target: GpuTensor;
  install(k: HookKernel, name: string): string;
}
