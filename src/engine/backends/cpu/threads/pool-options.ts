/** The thread pool's options, defaults and tuning constants (gemm-pool.ts). */

/** Below this many flops a job runs on the calling thread alone (about 0.1-0.2 ms of work). */
export const DEFAULT_MIN_FLOPS = 1 << 22;
/**
 * Waiting threads spin this long before sleeping. A helper that sleeps between jobs tends to be
 * woken onto the caller's core and run after it, not beside it: with each job split evenly, the
 * tiny model's matmuls ran 1.44x faster on 2 threads without spinning, 1.8-1.9x with 1-5 ms of
 * it. Jobs are now claimed in chunks, so a late helper only misses the chunks taken before it
 * wakes, and the gaps between jobs inside a step are mostly shorter than this. On a machine
 * busier than its cores, spinning takes time from the caller: the tiny DPO step on 2 threads at a
 * load of ~14 on 2 cores took 1.2 s with 2 ms of spin, 0.5-0.6 s with 0.1-0.3 ms (0.75 s on 1
 * thread).
 */
export const DEFAULT_SPIN_MICROS = 300;
/**
 * Below this much work (units x unitCost, about nanoseconds on one core) a range kernel runs on
 * the calling thread: waking the helpers and waiting for them costs a few microseconds.
 */
export const DEFAULT_MIN_RANGE_WORK = 30_000;
/**
 * Chunks a job is cut into, per thread: more than one, so that when a helper starts late or is
 * descheduled (a loaded machine) the others take over its share instead of waiting for it.
 */
export const CHUNKS_PER_THREAD = 4;

export interface GemmPoolOptions {
  /** Threads in all, the calling thread included (>= 2). */
  threads: number;
  /** Jobs under this many flops (2 * products * M * N * K) stay on the calling thread. */
  minFlops?: number;
  /** Range kernels with less work than this stay on the calling thread (0: every one is split). */
  minRangeWork?: number;
  /** How long a waiting thread spins before it sleeps (helpers between jobs, too), microseconds. */
  spinMicros?: number;
}

/** Where a pool tensor lives: its typed array over the shared memory and its element offset there. */
export interface PoolTensor {
  data: Float32Array | Int32Array;
  off: number;
}
