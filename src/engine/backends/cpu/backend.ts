/**
 * The CPU backend: typed arrays and one plain kernel per op. It is the numerical reference for
 * the WebGPU kernels and for PyTorch parity, and the fallback where WebGPU is missing.
 */
import type { Backend, DeviceTensor, Launch, Program } from '../../backend.ts';
import type { MemoryBudget } from '../../memory-fit.ts';
import type { DType } from '../../ops.ts';
import { bindLaunch, JS_KERNELS, type KernelContext } from './kernels.ts';
import { CpuTensor } from './tensor.ts';
import type { GemmPool } from './threads/gemm-pool.ts';
import { sharedGemmPool } from './threads/shared-pool.ts';
import { resolveThreadCount } from './threads/thread-count.ts';
import { createWasmGemm } from './wasm-gemm.ts';

function cpuTensor(t: DeviceTensor, where: string): CpuTensor {
  if (!(t instanceof CpuTensor)) throw new Error(`CpuBackend.${where}: tensor was not allocated by a CpuBackend`);
  return t;
}

export interface CpuBackendOptions {
  /**
   * 'auto' (default): the WebAssembly SIMD gemm where the runtime has it (f32 accumulation, as
   * PyTorch's CPU matmul), else JS. 'js': the JS gemm everywhere (float64 accumulation, slower).
   */
  matmul?: 'auto' | 'js';
  /** Time every kernel by op kind (see profile()); costs a clock read per launch. */
  profile?: boolean;
  /**
   * Threads for the SIMD gemm and the other heavy kernels (elementwise, softmax, fused attention,
   * log-probs, norms, permutes, AdamW), this one included; results are identical for any count. With more than one,
   * tensors live in the threads' shared WebAssembly memory (up to 4 GiB; beyond it, private arrays
   * whose kernels run on this thread). Default ORCHARD_CPU_THREADS, else all cores up to 8. 1, or
   * a runtime without shared memory and blocking waits (a page's main thread), runs
   * single-threaded; `threadsNote` says why.
   */
  threads?: number;
  /**
   * Bytes all tensors may take together, for checkFits: the CLI passes this machine's memory; by
   * default a browser's navigator.deviceMemory, else no total limit.
   */
  memoryBudgetBytes?: number;
}

/** V8's longest typed array (2^32 elements): one CPU tensor cannot be longer. */
const MAX_TYPED_ARRAY_ELEMENTS = 2 ** 32;

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  /** Which gemm this backend runs. */
  readonly matmulKernel: 'wasm-simd' | 'js';
  /** Threads the kernels run on (1: single-threaded), and why fewer than asked, if so. */
  readonly threads: number;
  readonly threadsNote: string | null;
  private readonly timings = new Map<string, { ms: number; calls: number }>();
  private readonly kernels: KernelContext;
  private readonly pool: GemmPool | undefined;

  constructor(private readonly opts: CpuBackendOptions = {}) {
    const wasm = (opts.matmul ?? 'auto') === 'auto' ? createWasmGemm() : null;
    const want = wasm ? resolveThreadCount(opts.threads) : 1;
    const pool = want > 1 ? sharedGemmPool(want) : null;
    const threaded = pool && typeof pool !== 'string' ? pool : undefined;
    this.pool = threaded;
    this.kernels = wasm ? { gemmFor: () => wasm, simd: true, threads: threaded } : JS_KERNELS;
    this.matmulKernel = wasm ? 'wasm-simd' : 'js';
    this.threads = threaded?.threads ?? 1;
    this.threadsNote = typeof pool === 'string' ? pool : null;
  }

  /** Resolves once the gemm's helper threads have started (until then jobs use those that have). */
  whenThreadsReady(): Promise<void> {
    return this.pool?.whenReady() ?? Promise.resolve();
  }

  /** Milliseconds and calls per op kind since construction, slowest first (needs `profile: true`). */
  profile(): { op: string; ms: number; calls: number }[] {
    return [...this.timings].map(([op, t]) => ({ op, ...t })).sort((a, b) => b.ms - a.ms);
  }

  memoryBudget(): MemoryBudget {
    const maxTensor = { maxTensorBytes: MAX_TYPED_ARRAY_ELEMENTS * 4, maxTensorSource: 'the longest typed array' };
    if (this.opts.memoryBudgetBytes !== undefined) {
      return { totalBytes: this.opts.memoryBudgetBytes, totalSource: 'the CPU memory budget', ...maxTensor };
    }
    // GiB, rounded and capped by the browser (8 in Chrome): a conservative budget for a tab.
    const gib = (globalThis as { navigator?: { deviceMemory?: number } }).navigator?.deviceMemory;
    if (typeof gib === 'number' && gib > 0) {
      return { totalBytes: gib * 2 ** 30, totalSource: "the browser's navigator.deviceMemory", ...maxTensor };
    }
    return { totalSource: 'unknown', ...maxTensor };
  }

  alloc(numel: number, dtype: DType): DeviceTensor {
    if (!Number.isInteger(numel) || numel < 0) throw new Error(`CpuBackend.alloc: bad element count ${numel}`);
    // With helper threads, tensors live in their shared memory so kernels split over threads work
    // in place; where it is full, a private array (its kernels then run on this thread).
    const pool = this.pool;
    const placed = pool?.allocTensor(numel, dtype);
    if (pool && placed) return new CpuTensor(numel, dtype, { data: placed.data, shared: { pool, off: placed.off } });
    return new CpuTensor(numel, dtype);
  }

  free(t: DeviceTensor): void {
    // Private arrays are garbage collected; a shared-memory block goes back to its pool.
    const ct = cpuTensor(t, 'free');
    if (ct.shared) (ct.shared.pool as GemmPool).freeTensor({ data: ct.data, off: ct.shared.off });
    ct.shared = undefined;
  }

  write(t: DeviceTensor, data: Float32Array | Int32Array, offset = 0): void {
    const ct = cpuTensor(t, 'write');
    const want = ct.dtype === 'f32' ? 'Float32Array' : 'Int32Array';
    if (data.constructor.name !== want)
      throw new Error(`CpuBackend.write: ${ct.dtype} tensor needs a ${want}, got ${data.constructor.name}`);
    if (offset + data.length > ct.numel) {
      throw new Error(`CpuBackend.write: ${data.length} elements at offset ${offset} overflow a tensor of ${ct.numel}`);
    }
    ct.data.set(data, offset);
  }

  async read(t: DeviceTensor, count?: number): Promise<Float32Array | Int32Array> {
    const ct = cpuTensor(t, 'read');
    return ct.data.slice(0, count ?? ct.numel);
  }

  compile(launches: readonly Launch[]): Program {
    const steps = launches.map((l) => {
      const kernel = bindLaunch(l, this.kernels);
      return this.opts.profile ? this.timed(l.op, kernel) : kernel;
    });
    return {
      run() {
        for (const s of steps) s();
      },
      stats: { dispatches: steps.length, submissions: 1 },
      dispose() {
        // Nothing to free: the closures hold no device resources.
      },
    };
  }

  async sync(): Promise<void> {}

  private timed(op: string, kernel: () => void): () => void {
    const entry = this.timings.get(op) ?? { ms: 0, calls: 0 };
    this.timings.set(op, entry);
    return () => {
      const t0 = performance.now();
      kernel();
      entry.ms += performance.now() - t0;
      entry.calls++;
    };
  }

  dispose(): void {}
}
