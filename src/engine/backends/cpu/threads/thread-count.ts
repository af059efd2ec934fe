/**
 * How many threads the CPU backend's kernels use: an explicit option, else ORCHARD_CPU_THREADS (Node),
 * else the machine's cores (os.availableParallelism / navigator.hardwareConcurrency), capped. And
 * whether this runtime can run threads at all: shared memory (cross-origin isolation in a browser)
 * and a thread allowed to block in Atomics.wait (Node, or a Web Worker; not a page's main thread).
 */

/**
 * Default cap: the gemm's barrier and wake-ups cost tens of microseconds per launch, which more
 * than 8 threads rarely repay on the matmul sizes of small models. Ask for more explicitly.
 */
export const DEFAULT_MAX_THREADS = 8;

export const THREADS_ENV = 'ORCHARD_CPU_THREADS';

function checkCount(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new Error(`${what} must be a whole number of threads from 1 to 256, got ${n}; use 1 for a single thread`);
  }
  return n;
}

/** Cores this runtime offers (1 when it does not say). */
export function hardwareThreads(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  return os?.availableParallelism?.() ?? 1;
}

/** ORCHARD_CPU_THREADS when set (Node only), validated. */
export function threadsFromEnv(): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const raw = env?.[THREADS_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  return checkCount(Number(raw), `${THREADS_ENV} (now '${raw}')`);
}

/** The thread count to use: `requested`, else the environment, else min(cores, DEFAULT_MAX_THREADS). */
export function resolveThreadCount(requested?: number): number {
  if (requested !== undefined) return checkCount(requested, 'CpuBackend option threads');
  return threadsFromEnv() ?? Math.max(1, Math.min(hardwareThreads(), DEFAULT_MAX_THREADS));
}

/** Why this runtime cannot run the threaded gemm, or null when it can. */
export function threadsUnavailableReason(): string | null {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') {
    return 'no SharedArrayBuffer (a browser page must be cross-origin isolated: COOP and COEP headers)';
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (COOP and COEP headers)';
  }
  try {
    // Returns 'not-equal' at once where blocking is allowed; throws on a browser's main thread.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1);
  } catch {
    return "this thread may not block in Atomics.wait (a page's main thread): run training in a worker";
  }
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const hasNodeWorkers = Boolean(proc?.getBuiltinModule?.('node:worker_threads'));
  if (!hasNodeWorkers && typeof Worker === 'undefined') return 'no Worker or worker_threads in this runtime';
  return null;
}
