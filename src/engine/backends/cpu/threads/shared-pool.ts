/**
 * One gemm pool per thread count for the whole process (or worker): every CpuBackend with the same
 * `threads` shares its helper threads, so tests and tools that create many backends start them
 * once. Helpers never keep a process alive; disposeSharedGemmPools() stops them explicitly.
 */
import { createGemmPool, type GemmPool } from './gemm-pool.ts';

const pools = new Map<number, GemmPool | string>();

/** The shared pool for `threads` threads, or why there is none (one thread, or no threads here). */
export function sharedGemmPool(threads: number): GemmPool | string {
  let pool = pools.get(threads);
  if (pool === undefined) {
    pool = createGemmPool({ threads });
    pools.set(threads, pool);
  }
  return pool;
}

/** Stops every shared pool's helpers; later backends start new ones. */
export async function disposeSharedGemmPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => (typeof p === 'string' ? undefined : p.dispose())));
}
