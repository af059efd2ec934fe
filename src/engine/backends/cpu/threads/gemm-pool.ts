/**
 * A pool of helper threads for the CPU backend's kernels: the SIMD gemm (wasm-gemm.ts) and the
 * range kernels (threads/ranges). They all work in one shared WebAssembly memory, where a threaded
 * backend keeps its tensors (arena.ts; operands from elsewhere are copied in). The calling thread
 * and the helpers claim chunks of each job (gemm-share.ts), and the caller waits until the chunks
 * helpers hold are done, so the backend stays synchronous. Helpers start in the background: a job uses the helpers
 * that are ready by then (a page's worker cannot block while a nested worker starts), and a result
 * never depends on how many took part. Jobs too small to repay the hand-off run on the calling
 * thread's own single-thread kernel, which gives the same numbers.
 */
import { matmul } from '../../../ops/matmul/cpu.ts';
import type { Gemm, MatmulDims, MatmulLaunch } from '../gemm.ts';
import type { F32View } from '../tensor.ts';
import { createWasmGemm, gemmModule } from '../wasm-gemm.ts';
import { SharedArena, sharedMemory } from './arena.ts';
import { awaitCount, claimChunks, type GemmExport, gemmMulChunk, gemmPackChunk, JOB } from './gemm-share.ts';
import { LagGuard } from './lag-guard.ts';
import {
  CHUNKS_PER_THREAD,
  DEFAULT_MIN_FLOPS,
  DEFAULT_MIN_RANGE_WORK,
  DEFAULT_SPIN_MICROS,
  type GemmPoolOptions,
  type PoolTensor,
} from './pool-options.ts';
import { RANGE_FLOATS, runRangeChunk } from './range-share.ts';
import { RANGE_KERNELS } from './ranges/index.ts';
import type { RangeArray } from './ranges/types.ts';
import { browserSpawn, type Helper, nodeSpawn } from './spawn.ts';
import { threadsUnavailableReason } from './thread-count.ts';
import { helperSource } from './worker-source.ts';

export type { GemmPoolOptions, PoolTensor };
export { DEFAULT_MIN_FLOPS, DEFAULT_MIN_RANGE_WORK, DEFAULT_SPIN_MICROS };

const PAGE = 65536;

export class GemmPool {
  readonly threads: number;
  /** The calling thread's single-thread kernel (today's path), for small jobs. */
  readonly local: Gemm;
  /** Blocks of the shared memory: a threaded backend's tensors and the gemm's scratch. */
  readonly arena: SharedArena;
  private readonly minFlops: number;
  /** Range kernels with less work than this (units x unitCost, about ns) stay on the calling thread. */
  readonly minRangeWork: number;
  private readonly memory: WebAssembly.Memory;
  private readonly ctl: Int32Array;
  /** The ctl words and the doubles a range job's kernel reads its attributes from. */
  private readonly ints: Int32Array;
  private readonly floats: Float64Array;
  private readonly kernel: GemmExport;
  private readonly helpers: Helper[] = [];
  /** f32, i32 and f64 views over the whole shared memory (renewed when it grows). */
  private heaps: RangeArray[];
  /** The gemm's scratch block (element offset, bytes), grown as jobs need. */
  private scratch = { off: 0, bytes: 0 };
  private readonly allReady: Promise<void>;
  private disposed = false;
  private live = 0;
  /** Gives back the blocks of tensors collected without free() (byte offsets). */
  private readonly unfreed = new FinalizationRegistry<number>((at) => this.arena.release(at));
  /** Sends range jobs to the calling thread alone while the helpers lag (a busy machine). */
  readonly lag = new LagGuard();
  /** The last job's sequence number (15 bits, in the job word). */
  private seq = 0;
  /** Jobs run by the pool (gemms, by columns, range kernels) and on the calling thread alone; most threads used. */
  readonly stats = { threadedJobs: 0, byColumns: 0, rangeJobs: 0, localJobs: 0, mostThreads: 1 };

  /** Use createGemmPool, which says why when threads are unavailable. */
  constructor(opts: GemmPoolOptions, local: Gemm) {
    this.threads = opts.threads;
    this.local = local;
    this.minFlops = opts.minFlops ?? DEFAULT_MIN_FLOPS;
    this.minRangeWork = opts.minRangeWork ?? DEFAULT_MIN_RANGE_WORK;
    const { memory, maximum } = sharedMemory();
    this.memory = memory;
    this.arena = new SharedArena(memory, maximum * PAGE);
    const module = new WebAssembly.Module(gemmModule({ initial: 1, maximum }));
    const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
    this.kernel = instance.exports.gemm as GemmExport;
    this.heaps = heapViews(memory.buffer);
    const control = new SharedArrayBuffer(4 * (JOB.SLOTS + JOB.SLOT * opts.threads));
    const floats = new SharedArrayBuffer(8 * RANGE_FLOATS);
    this.ctl = new Int32Array(control);
    this.ints = new Int32Array(control, JOB.INTS * 4, JOB.INT_COUNT);
    this.floats = new Float64Array(floats);
    this.ctl[JOB.SPIN_US] = opts.spinMicros ?? DEFAULT_SPIN_MICROS;
    const spawn = nodeSpawn() ?? browserSpawn();
    const source = helperSource();
    this.allReady = new Promise((resolve, reject) => {
      let started = 0;
      for (let index = 0; index < opts.threads - 1; index++) {
        const onReady = () => {
          if (++started === opts.threads - 1) resolve();
        };
        const helper = spawn(source, { module, memory, control, floats, index }, onReady, reject);
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

  /** A zero-filled tensor in the shared memory, or null when the memory is full (or the pool disposed). */
  allocTensor(numel: number, dtype: 'f32' | 'i32'): PoolTensor | null {
    if (this.disposed) return null;
    const at = this.arena.alloc(numel * 4);
    if (at === null) return null;
    const buf = this.memory.buffer;
    const data = dtype === 'f32' ? new Float32Array(buf, at, numel) : new Int32Array(buf, at, numel);
    // Kernels hold a tensor's typed array for as long as they may touch its block: once it is
    // collected, nothing can, and a tensor nobody freed still gives its block back.
    this.unfreed.register(data, at, data);
    return { data, off: at / 4 };
  }

  /** Returns a tensor's block (from allocTensor) for reuse. */
  freeTensor(t: PoolTensor): void {
    this.unfreed.unregister(t.data);
    this.arena.release(t.off * 4);
  }

  /** Bytes of the gemm's scratch block (kept between jobs). */
  get gemmScratchBytes(): number {
    return this.scratch.bytes;
  }

  /** A zero-filled block for one job's scratch (byte offset), or null when the memory is full. */
  allocScratch(bytes: number): number | null {
    return this.disposed ? null : this.arena.alloc(bytes);
  }

  /** Returns a block from allocScratch. */
  freeScratch(byteOffset: number): void {
    this.arena.release(byteOffset);
  }

  /** The pool as a Gemm: one product, threaded when it is large enough. */
  readonly gemm: Gemm = (A, aOff, transA, B, bOff, transB, C, cOff, M, N, K) => {
    if (this.run(A, aOff, B, bOff, C, cOff, { P: 1, M, N, K, transA, transB, sharedB: true }, {})) return;
    this.stats.localJobs++;
    this.local(A, aOff, transA, B, bOff, transB, C, cOff, M, N, K);
  };

  /**
   * A batched matmul launch (as ops/matmul/cpu.ts's matmul), all its products in one threaded job;
   * false when it is too small (or the pool is disposed) and the caller should run it itself.
   * Operands that live in this pool's memory (`at`: their element offsets) are read and written in
   * place; others are copied in and out.
   */
  tryMatmul(m: MatmulLaunch, at: { a?: number; b?: number; out?: number } = {}): boolean {
    const { a, b, transA, transB, out, d } = m;
    const merged = d.sharedB && !transA;
    const job = merged
      ? { P: 1, M: d.batch * d.M, N: d.N, K: d.K, transA, transB, sharedB: true }
      : { P: d.batch, M: d.M, N: d.N, K: d.K, transA, transB, sharedB: d.sharedB };
    if (this.run(a.data, 0, b.data, 0, out.data, 0, job, at)) return true;
    this.stats.localJobs++;
    return false;
  }

  /** tryMatmul, else the same launch on the calling thread's single-thread kernel. */
  matmul(a: F32View, b: F32View, transA: boolean, transB: boolean, out: F32View, d: MatmulDims): void {
    if (!this.tryMatmul({ a, b, transA, transB, out, d })) matmul(a, b, transA, transB, out, d, this.local);
  }

  /**
   * Range kernel `id` (threads/ranges) over `units`, split over the calling thread and the ready
   * helpers, every operand in this pool's memory (`kinds`: OPERAND_KIND; `ints` start with their
   * element offsets); false when no helper is ready and the caller should run it alone.
   */
  tryRange(
    id: number,
    kinds: Int32Array,
    ints: Int32Array,
    floats: Float64Array,
    units: number,
    align: number,
  ): boolean {
    if (this.disposed || !this.lag.allows(performance.now())) return false;
    const ready = this.readyHelpers();
    const n = Math.min(CHUNKS_PER_THREAD * (1 + ready), Math.floor(units / align));
    if (ready === 0 || n < 2) return false;
    if (ints.length > JOB.INT_COUNT || kinds.length > JOB.INTS - JOB.OP_KINDS || floats.length > RANGE_FLOATS)
      throw new Error(`GemmPool.tryRange: kernel ${id} passes more operands or attributes than a job holds`);
    const ctl = this.ctl;
    ctl[JOB.RANGE] = id;
    ctl[JOB.UNITS] = units;
    ctl[JOB.ALIGN] = align;
    ctl[JOB.OPS] = kinds.length;
    ctl.set(kinds, JOB.OP_KINDS);
    this.ints.set(ints);
    this.floats.set(floats);
    const heaps = this.refresh();
    this.dispatch(2, n, (c) =>
      runRangeChunk(JOB, ctl, this.ints, this.floats, heaps, RANGE_KERNELS, c, n, this.kernel),
    );
    this.stats.rangeJobs++;
    this.stats.mostThreads = Math.max(this.stats.mostThreads, 1 + ready);
    return true;
  }

  /** Runs a gemm job on the pool; false when it should run on the calling thread instead. */
  private run(
    A: Float32Array,
    aOff: number,
    B: Float32Array,
    bOff: number,
    C: Float32Array,
    cOff: number,
    j: { P: number; M: number; N: number; K: number; transA: boolean; transB: boolean; sharedB: boolean },
    at: { a?: number; b?: number; out?: number },
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
    // An output in the shared memory is written by the threads, row by row, never padded.
    const unpad = at.out !== undefined || byCols || N8 !== N || (P > 1 && M4 !== M);
    let used = 0;
    const take = (n: number) => {
      const from = used;
      used = Math.ceil((used + n) / 16) * 16;
      return from;
    };
    const rawA = at.a === undefined ? take(P * M * K) : -1;
    const rawB = at.b === undefined ? take(PB * N * K) : -1;
    const packA = take(P * M4 * K);
    const packB = take(PB * N8 * K);
    const cPad = take(P * M4 * N8);
    const out = at.out === undefined && unpad ? take(P * M * N) : -1;
    const base = this.scratchAt(4 * used);
    if (base === null) return false;
    const heap = this.refresh()[0] as Float32Array;
    if (at.a === undefined) heap.set(A.subarray(aOff, aOff + P * M * K), base + rawA);
    if (at.b === undefined) heap.set(B.subarray(bOff, bOff + PB * N * K), base + rawB);
    const ctl = this.ctl;
    ctl[JOB.P] = P;
    ctl[JOB.M] = M;
    ctl[JOB.N] = N;
    ctl[JOB.K] = K;
    ctl[JOB.TRANS_A] = j.transA ? 1 : 0;
    ctl[JOB.TRANS_B] = j.transB ? 1 : 0;
    ctl[JOB.A_STRIDE] = M * K;
    ctl[JOB.B_STRIDE] = j.sharedB ? 0 : N * K;
    ctl[JOB.RAW_A] = at.a === undefined ? base + rawA : at.a + aOff;
    ctl[JOB.RAW_B] = at.b === undefined ? base + rawB : at.b + bOff;
    ctl[JOB.PACK_A] = base + packA;
    ctl[JOB.PACK_B] = base + packB;
    ctl[JOB.C_PAD] = base + cPad;
    const outAt = at.out !== undefined ? at.out + cOff : unpad ? base + out : base + cPad;
    ctl[JOB.OUT] = outAt;
    ctl[JOB.BY_COLS] = byCols ? 1 : 0;
    const packs = Math.min(P * G + PB * Q, CHUNKS_PER_THREAD * T);
    this.dispatch(0, packs, (c) => gemmPackChunk(JOB, ctl, heap, c, packs));
    const muls = Math.min(byCols ? Q : P * G, CHUNKS_PER_THREAD * T);
    this.dispatch(1, muls, (c) => gemmMulChunk(JOB, ctl, heap, this.kernel, c, muls));
    if (at.out === undefined) C.set(heap.subarray(outAt, outAt + P * M * N), cOff);
    this.stats.threadedJobs++;
    if (byCols) this.stats.byColumns++;
    this.stats.mostThreads = Math.max(this.stats.mostThreads, T);
    return true;
  }

  /**
   * Publishes the job set in ctl as `n` chunks, claims chunks here until none is left (helpers
   * claim the others), waits for the chunks helpers still hold, then closes the job; throws when a
   * chunk failed.
   */
  private dispatch(kind: number, n: number, run: (c: number) => void): void {
    const ctl = this.ctl;
    ctl[JOB.KIND] = kind;
    ctl[JOB.CHUNKS] = n;
    ctl[JOB.FAILED] = 0;
    Atomics.store(ctl, JOB.DONE, 0);
    this.seq = (this.seq + 1) & 0x7fff;
    // The seq-cst store publishes the fields above to every helper that reads the new word.
    Atomics.store(ctl, JOB.WORD, this.seq << 16);
    Atomics.notify(ctl, JOB.WORD);
    let failure: unknown = null;
    const t0 = performance.now();
    claimChunks(JOB, ctl, this.seq, n, (c) => {
      try {
        run(c);
      } catch (err) {
        failure ??= err;
        throw err;
      }
    });
    const t1 = performance.now();
    awaitCount(JOB, ctl, JOB.DONE, n);
    const t2 = performance.now();
    // Range jobs are short: a helper that lags costs them most. Matmuls always use the threads.
    if (kind === 2) this.lag.record(t2, t1 - t0, t2 - t1);
    // Closed: a helper's late claim on this job fails while the next job's fields are written.
    Atomics.store(ctl, JOB.WORD, (this.seq << 16) | JOB.CLOSED);
    if (failure !== null) throw failure;
    if (Atomics.load(ctl, JOB.FAILED) !== 0) throw new Error('GemmPool: a helper thread failed a chunk of a job');
  }

  /** Helpers that have started, read from their flags (their 'ready' messages may still be queued). */
  private readyHelpers(): number {
    let n = 0;
    for (let w = 0; w < this.helpers.length; w++) n += Atomics.load(this.ctl, JOB.SLOTS + JOB.SLOT * w + 1);
    return n;
  }

  /** The heap views, renewed when the shared memory has grown. */
  private refresh(): RangeArray[] {
    if (this.heaps[0].byteLength !== this.memory.buffer.byteLength) this.heaps = heapViews(this.memory.buffer);
    return this.heaps;
  }

  /** The element offset of a scratch block of at least `bytes`; null when the memory cannot hold it. */
  private scratchAt(bytes: number): number | null {
    if (bytes <= this.scratch.bytes) return this.scratch.off;
    if (this.scratch.bytes > 0) this.arena.release(this.scratch.off * 4);
    this.scratch = { off: 0, bytes: 0 };
    // Grown by half again, so a run of growing jobs reallocates it only a few times.
    let got = Math.ceil(bytes * 1.5);
    let at = this.arena.alloc(got);
    if (at === null) {
      got = bytes;
      at = this.arena.alloc(got);
    }
    if (at === null) return null;
    this.scratch = { off: at / 4, bytes: got };
    return this.scratch.off;
  }

  /** Stops the helpers (they exit their wait loop, then are terminated); resolves when all exited. */
  dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      Atomics.store(this.ctl, JOB.SHUTDOWN, 1);
      this.seq = (this.seq + 1) & 0x7fff;
      Atomics.store(this.ctl, JOB.WORD, (this.seq << 16) | JOB.CLOSED);
      Atomics.notify(this.ctl, JOB.WORD);
      for (const h of this.helpers) h.terminate();
    }
    return Promise.all(this.helpers.map((h) => h.exited)).then(() => {});
  }
}

function heapViews(buf: ArrayBufferLike): RangeArray[] {
  return [new Float32Array(buf), new Int32Array(buf), new Float64Array(buf)];
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
