/**
 * A pool of helper threads for the CPU backend's SIMD gemm (wasm-gemm.ts). Operands are copied into
 * one shared WebAssembly memory; the calling thread and the helpers pack panels and multiply their
 * shares of the output (gemm-share.ts), and the caller blocks in Atomics.wait until the helpers are
 * done, so the backend stays synchronous. Helpers start in the background: a job uses the helpers
 * that are ready by then (a page's worker cannot block while a nested worker starts), and a result
 * never depends on how many took part. Jobs too small to repay the hand-off run on the calling
 * thread's own single-thread kernel, which gives the same numbers.
 */
import { matmul } from '../../../ops/matmul/cpu.ts';
import type { Gemm, MatmulDims } from '../gemm.ts';
import type { F32View } from '../tensor.ts';
import { createWasmGemm, gemmModule } from '../wasm-gemm.ts';
import { awaitCount, type GemmExport, JOB, runGemmShare } from './gemm-share.ts';
import { threadsUnavailableReason } from './thread-count.ts';
import { type HelperInit, helperSource } from './worker-source.ts';

const PAGE = 65536;
/** Shared memory must declare its maximum up front; the largest first, smaller where refused. */
const MAX_PAGES = [65536, 16384, 4096];
/** Below this many flops a job runs on the calling thread alone (about 0.1-0.2 ms of work). */
export const DEFAULT_MIN_FLOPS = 1 << 22;
/**
 * Waiting threads spin this long before sleeping. A helper that sleeps between jobs tends to be
 * woken onto the caller's core and run after it, not beside it: on the tiny model's step (2 cores)
 * the matmuls ran 1.44x faster on 2 threads without spinning, 1.8-1.9x with 1-5 ms of it. The cost
 * is that much CPU per job on an otherwise idle core.
 */
export const DEFAULT_SPIN_MICROS = 2000;

export interface GemmPoolOptions {
  /** Threads in all, the calling thread included (>= 2). */
  threads: number;
  /** Jobs under this many flops (2 * products * M * N * K) stay on the calling thread. */
  minFlops?: number;
  /** How long a waiting thread spins before it sleeps (helpers between jobs, too), microseconds. */
  spinMicros?: number;
}

/** The worker-like object both runtimes give us: enough to start, stop and hear readiness. */
interface Helper {
  terminate(): unknown;
  exited: Promise<void>;
}

type Spawn = (source: string, init: HelperInit, onReady: () => void, onError: (e: unknown) => void) => Helper;

function nodeSpawn(): Spawn | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as typeof import('node:worker_threads') | undefined;
  if (!wt) return null;
  return (source, init, onReady, onError) => {
    const w = new wt.Worker(source, { eval: true, workerData: init });
    // Once started, a helper never keeps the process alive (a CLI or test that forgets dispose()
    // still exits); until then it does, so awaiting whenReady() works in a script's last lines.
    w.on('message', (m) => {
      if (m !== 'ready') return;
      w.unref();
      onReady();
    });
    w.on('error', (e) => {
      w.unref();
      onError(e);
    });
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    return { terminate: () => w.terminate(), exited };
  };
}

function browserSpawn(): Spawn {
  let url: string | null = null;
  return (source, init, onReady, onError) => {
    url ??= URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const w = new Worker(url);
    let exit: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      exit = resolve;
    });
    w.onmessage = (e) => e.data === 'ready' && onReady();
    w.onerror = (e) => onError(e);
    w.postMessage(init);
    return {
      terminate: () => {
        w.terminate();
        exit();
      },
      exited,
    };
  };
}

export class GemmPool {
  readonly threads: number;
  /** The calling thread's single-thread kernel (today's path), for small jobs. */
  readonly local: Gemm;
  private readonly minFlops: number;
  private readonly memory: WebAssembly.Memory;
  private readonly maxBytes: number;
  private readonly ctl: Int32Array;
  private readonly kernel: GemmExport;
  private readonly helpers: Helper[] = [];
  private heap: Float32Array;
  private readonly allReady: Promise<void>;
  private disposed = false;
  private live = 0;
  /** Jobs run by the pool (and how many by columns) and on the calling thread alone; most threads used. */
  readonly stats = { threadedJobs: 0, byColumns: 0, localJobs: 0, mostThreads: 1 };

  /** Use createGemmPool, which says why when threads are unavailable. */
  constructor(opts: GemmPoolOptions, local: Gemm) {
    this.threads = opts.threads;
    this.local = local;
    this.minFlops = opts.minFlops ?? DEFAULT_MIN_FLOPS;
    const { memory, maximum } = sharedMemory();
    this.memory = memory;
    this.maxBytes = maximum * PAGE;
    const module = new WebAssembly.Module(gemmModule({ initial: 1, maximum }));
    const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
    this.kernel = instance.exports.gemm as GemmExport;
    this.heap = new Float32Array(memory.buffer);
    const control = new SharedArrayBuffer(4 * (JOB.SLOTS + JOB.SLOT * opts.threads));
    this.ctl = new Int32Array(control);
    this.ctl[JOB.SPIN_US] = opts.spinMicros ?? DEFAULT_SPIN_MICROS;
    const spawn = nodeSpawn() ?? browserSpawn();
    const source = helperSource();
    this.allReady = new Promise((resolve, reject) => {
      let started = 0;
      for (let index = 0; index < opts.threads - 1; index++) {
        const onReady = () => {
          if (++started === opts.threads - 1) resolve();
        };
        const helper = spawn(source, { module, memory, control, index }, onReady, reject);
        this.live++;
        helper.exited.then(() => {
          // A helper that died (an error, or terminate) gets no more jobs.
          Atomics.store(this.ctl, JOB.SLOTS + JOB.SLOT * index + 1, 0);
          this.live--;
        });
        this.helpers.push(helper);
      }
    });
    // A helper that fails to start only means fewer helpers; whenReady() reports it.
    this.allReady.catch(() => {});
  }

  /** Resolves once every helper has started (jobs before then use the ready ones). */
  whenReady(): Promise<void> {
    return this.allReady;
  }

  /** Helper threads that have not exited yet. */
  get liveHelpers(): number {
    return this.live;
  }

  /** The pool as a Gemm: one product, threaded when it is large enough. */
  readonly gemm: Gemm = (A, aOff, transA, B, bOff, transB, C, cOff, M, N, K) => {
    if (this.run(A, aOff, B, bOff, C, cOff, { P: 1, M, N, K, transA, transB, sharedB: true })) return;
    this.stats.localJobs++;
    this.local(A, aOff, transA, B, bOff, transB, C, cOff, M, N, K);
  };

  /**
   * A batched matmul launch (as ops/matmul/cpu.ts's matmul), all its products in one threaded job;
   * false when it is too small (or the pool is disposed) and the caller should run it itself.
   */
  tryMatmul(a: F32View, b: F32View, transA: boolean, transB: boolean, out: F32View, d: MatmulDims): boolean {
    const merged = d.sharedB && !transA;
    const job = merged
      ? { P: 1, M: d.batch * d.M, N: d.N, K: d.K, transA, transB, sharedB: true }
      : { P: d.batch, M: d.M, N: d.N, K: d.K, transA, transB, sharedB: d.sharedB };
    if (this.run(a.data, 0, b.data, 0, out.data, 0, job)) return true;
    this.stats.localJobs++;
    return false;
  }

  /** tryMatmul, else the same launch on the calling thread's single-thread kernel. */
  matmul(a: F32View, b: F32View, transA: boolean, transB: boolean, out: F32View, d: MatmulDims): void {
    if (!this.tryMatmul(a, b, transA, transB, out, d)) matmul(a, b, transA, transB, out, d, this.local);
  }

  /** Runs a job on the pool; false when it should run on the calling thread instead. */
  private run(
    A: Float32Array,
    aOff: number,
    B: Float32Array,
    bOff: number,
    C: Float32Array,
    cOff: number,
    j: { P: number; M: number; N: number; K: number; transA: boolean; transB: boolean; sharedB: boolean },
  ): boolean {
    const { P, M, N, K } = j;
    if (this.disposed || 2 * P * M * N * K < this.minFlops) return false;
    const ready = this.readyHelpers();
    if (ready === 0) return false;
    const M4 = Math.ceil(M / 4) * 4;
    const N8 = Math.ceil(N / 8) * 8;
    const PB = j.sharedB ? 1 : P;
    const G = M4 / 4;
    const Q = N8 / 8;
    const T = 1 + ready;
    // Split rows unless there are too few row groups to share out evenly and more column panels.
    const byCols = P * G < 4 * T && Q > P * G;
    const unpad = byCols || N8 !== N || (P > 1 && M4 !== M);
    const align = (n: number) => Math.ceil(n / 4) * 4;
    const rawA = 0;
    const rawB = align(rawA + P * M * K);
    const packA = align(rawB + PB * N * K);
    const packB = align(packA + P * M4 * K);
    const cPad = align(packB + PB * N8 * K);
    const out = unpad ? align(cPad + P * M4 * N8) : cPad;
    if (!this.reserve(4 * (out + P * M * N))) return false;
    const heap = this.heap;
    heap.set(A.subarray(aOff, aOff + P * M * K), rawA);
    heap.set(B.subarray(bOff, bOff + PB * N * K), rawB);
    const ctl = this.ctl;
    ctl[JOB.P] = P;
    ctl[JOB.M] = M;
    ctl[JOB.N] = N;
    ctl[JOB.K] = K;
    ctl[JOB.TRANS_A] = j.transA ? 1 : 0;
    ctl[JOB.TRANS_B] = j.transB ? 1 : 0;
    ctl[JOB.A_STRIDE] = M * K;
    ctl[JOB.B_STRIDE] = j.sharedB ? 0 : N * K;
    ctl[JOB.RAW_A] = rawA;
    ctl[JOB.RAW_B] = rawB;
    ctl[JOB.PACK_A] = packA;
    ctl[JOB.PACK_B] = packB;
    ctl[JOB.C_PAD] = cPad;
    ctl[JOB.OUT] = out;
    ctl[JOB.BY_COLS] = byCols ? 1 : 0;
    ctl[JOB.THREADS] = T;
    ctl[JOB.BARRIER] = 0;
    Atomics.store(ctl, JOB.DONE, 0);
    // Wake T - 1 ready helpers, ranks 1.. in slot order; the seq-cst add publishes the job above.
    for (let w = 0, rank = 1; rank < T; w++) {
      const slot = JOB.SLOTS + JOB.SLOT * w;
      if (Atomics.load(ctl, slot + 1) !== 1) continue;
      ctl[slot + 2] = rank++;
      Atomics.add(ctl, slot, 1);
      Atomics.notify(ctl, slot);
    }
    runGemmShare(JOB, ctl, heap, this.kernel, 0, awaitCount);
    awaitCount(JOB, ctl, JOB.DONE, T - 1);
    C.set(heap.subarray(out, out + P * M * N), cOff);
    this.stats.threadedJobs++;
    if (byCols) this.stats.byColumns++;
    this.stats.mostThreads = Math.max(this.stats.mostThreads, T);
    return true;
  }

  /** Helpers that have started, read from their flags (their 'ready' messages may still be queued). */
  private readyHelpers(): number {
    let n = 0;
    for (let w = 0; w < this.helpers.length; w++) n += Atomics.load(this.ctl, JOB.SLOTS + JOB.SLOT * w + 1);
    return n;
  }

  /** Grows the shared memory to at least `bytes`; false when that exceeds its maximum. */
  private reserve(bytes: number): boolean {
    if (bytes > this.maxBytes) return false;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.heap.byteLength !== this.memory.buffer.byteLength) this.heap = new Float32Array(this.memory.buffer);
    return true;
  }

  /** Stops the helpers (they exit their wait loop, then are terminated); resolves when all exited. */
  dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      Atomics.store(this.ctl, JOB.SHUTDOWN, 1);
      for (let w = 0; w < this.helpers.length; w++) {
        const slot = JOB.SLOTS + JOB.SLOT * w;
        Atomics.add(this.ctl, slot, 1);
        Atomics.notify(this.ctl, slot);
      }
      for (const h of this.helpers) h.terminate();
    }
    return Promise.all(this.helpers.map((h) => h.exited)).then(() => {});
  }
}

function sharedMemory(): { memory: WebAssembly.Memory; maximum: number } {
  let last: unknown;
  for (const maximum of MAX_PAGES) {
    try {
      return { memory: new WebAssembly.Memory({ initial: 1, maximum, shared: true }), maximum };
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`GemmPool: cannot reserve a shared WebAssembly memory: ${String(last)}`);
}

/**
 * A pool of `threads` threads (the caller included), or the reason it cannot run here: no shared
 * memory or blocking, no WebAssembly SIMD, or fewer than 2 threads asked for.
 */
export function createGemmPool(opts: GemmPoolOptions): GemmPool | string {
  if (opts.threads < 2) return 'one thread asked for';
  const reason = threadsUnavailableReason();
  if (reason) return reason;
  const local = createWasmGemm();
  if (!local) return 'no WebAssembly SIMD in this runtime';
  try {
    return new GemmPool(opts, local);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
