/**
 * The threaded CPU gemm (src/engine/backends/cpu/threads): on odd shapes, every transpose, single
 * and batched products (shared and per-product b), rows and column-panel splits, results at 2 and 3
 * threads are bit-identical to the single-thread SIMD kernel and match a float64 triple loop within
 * f32 tolerance; disposing stops every helper thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gemm, MatmulDims } from '../../src/engine/backends/cpu/gemm.ts';
import { createGemmPool, type GemmPool } from '../../src/engine/backends/cpu/threads/gemm-pool.ts';
import { resolveThreadCount, THREADS_ENV } from '../../src/engine/backends/cpu/threads/thread-count.ts';
import { createWasmGemm } from '../../src/engine/backends/cpu/wasm-gemm.ts';
import { matmul } from '../../src/engine/ops/matmul/cpu.ts';
import { Rng } from '../../src/engine/random.ts';

const rng = new Rng(2026);

/** out[z][i][j] = sum_k A'[z][i][k] B'[z][k][j] in float64, straight from the definition. */
function reference(a: Float32Array, b: Float32Array, d: MatmulDims, tA: boolean, tB: boolean): Float64Array {
  const { batch, M, N, K } = d;
  const out = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const ao = z * M * K;
    const bo = d.sharedB ? 0 : z * N * K;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++)
          s += (tA ? a[ao + k * M + i] : a[ao + i * K + k]) * (tB ? b[bo + j * K + k] : b[bo + k * N + j]);
        out[(z * M + i) * N + j] = s;
      }
  }
  return out;
}

function sameBits(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

function simdGemm(): Gemm {
  const gemm = createWasmGemm();
  if (!gemm) throw new Error('this Node has no WebAssembly SIMD: the threaded gemm needs it');
  return gemm;
}

const local = simdGemm();

/** The pool's product of random M×K and K×N matrices equals the one-thread kernel's, bit for bit. */
function expectSameAsOneThread(pool: GemmPool, M: number, N: number, K: number): void {
  const A = rng.normals(M * K);
  const B = rng.normals(K * N);
  const one = new Float32Array(M * N);
  const many = new Float32Array(M * N);
  local(A, 0, false, B, 0, false, one, 0, M, N, K);
  pool.gemm(A, 0, false, B, 0, false, many, 0, M, N, K);
  expect(sameBits(many, one)).toBe(true);
}
const pools = new Map<number, GemmPool>();

beforeAll(async () => {
  for (const threads of [2, 3]) {
    // minFlops 0: every product goes through the threads, however small.
    const pool = createGemmPool({ threads, minFlops: 0 });
    if (typeof pool === 'string') throw new Error(`threads unavailable in this Node: ${pool}`);
    await pool.whenReady();
    pools.set(threads, pool);
  }
});

afterAll(async () => {
  await Promise.all([...pools.values()].map((p) => p.dispose()));
});

const SHAPES: [number, number, number][] = [
  [37, 53, 29],
  [1, 300, 7],
  [129, 65, 257],
  [8, 200, 16],
  [5, 3, 1],
];

describe('threaded gemm', () => {
  for (const [M, N, K] of SHAPES)
    for (const tA of [false, true])
      for (const tB of [false, true])
        for (const batch of [1, 3])
          for (const sharedB of batch === 1 ? [true] : [true, false]) {
            const d: MatmulDims = { batch, M, N, K, sharedB };
            it(`${batch}x(${M}x${N}x${K}) transA=${tA} transB=${tB} sharedB=${sharedB}: 2 and 3 threads = 1 thread, ~ reference`, () => {
              const a = { data: rng.normals(batch * M * K), shape: [batch, M, K] };
              const b = { data: rng.normals((sharedB ? 1 : batch) * N * K), shape: [K, N] };
              const one = new Float32Array(batch * M * N);
              matmul(a, b, tA, tB, { data: one, shape: [batch, M, N] }, d, local);
              const ref = reference(a.data, b.data, d, tA, tB);
              // f32 accumulation: error grows like sqrt(K) ulps of the magnitudes summed.
              const tol = 1e-6 * Math.sqrt(K) * K + 1e-6;
              for (let i = 0; i < ref.length; i++) expect(Math.abs(one[i] - ref[i])).toBeLessThan(tol);
              for (const [threads, pool] of pools) {
                const before = pool.stats.threadedJobs;
                const many = new Float32Array(batch * M * N).fill(Number.NaN);
                pool.matmul(a, b, tA, tB, { data: many, shape: [batch, M, N] }, d);
                expect(pool.stats.threadedJobs, `${threads} threads ran it`).toBe(before + 1);
                expect(sameBits(many, one), `${threads} threads, batched entry`).toBe(true);
                if (batch === 1) {
                  const viaGemm = new Float32Array(M * N).fill(Number.NaN);
                  pool.gemm(a.data, 0, tA, b.data, 0, tB, viaGemm, 0, M, N, K);
                  expect(sameBits(viaGemm, one), `${threads} threads, Gemm entry`).toBe(true);
                }
              }
            });
          }

  it('splits by rows and by column panels, with every thread taking part', () => {
    for (const [threads, pool] of pools) {
      expect(pool.stats.mostThreads).toBe(threads);
      expect(pool.stats.byColumns).toBeGreaterThan(0);
      expect(pool.stats.byColumns).toBeLessThan(pool.stats.threadedJobs);
    }
  });

  it('writes at an output offset and leaves the rest of the output alone', () => {
    const [M, N, K] = [13, 21, 11];
    const A = rng.normals(5 + M * K);
    const B = rng.normals(7 + N * K);
    const one = new Float32Array(3 + M * N + 4).fill(9);
    local(A, 5, false, B, 7, true, one, 3, M, N, K);
    const many = new Float32Array(one.length).fill(9);
    (pools.get(3) as GemmPool).gemm(A, 5, false, B, 7, true, many, 3, M, N, K);
    expect(sameBits(many, one)).toBe(true);
    expect([...many.slice(0, 3), ...many.slice(3 + M * N)]).toEqual([9, 9, 9, 9, 9, 9, 9]);
  });

  it('runs small products on the calling thread alone, with the same numbers', async () => {
    const pool = createGemmPool({ threads: 2 });
    if (typeof pool === 'string') throw new Error(pool);
    await pool.whenReady();
    expectSameAsOneThread(pool, 6, 7, 5);
    expect(pool.stats).toMatchObject({ threadedJobs: 0, localJobs: 1 });
    await pool.dispose();
  });

  it('dispose stops every helper thread, and the pool then computes on the calling thread', async () => {
    const pool = createGemmPool({ threads: 3, minFlops: 0 });
    if (typeof pool === 'string') throw new Error(pool);
    await pool.whenReady();
    expect(pool.liveHelpers).toBe(2);
    await pool.dispose();
    expect(pool.liveHelpers).toBe(0);
    expectSameAsOneThread(pool, 9, 10, 11);
    expect(pool.stats.threadedJobs).toBe(0);
  });
});

describe('thread count', () => {
  it('takes an explicit count, else ORCHARD_CPU_THREADS, and rejects nonsense with a clear message', () => {
    const saved = process.env[THREADS_ENV];
    try {
      process.env[THREADS_ENV] = '3';
      expect(resolveThreadCount()).toBe(3);
      expect(resolveThreadCount(1)).toBe(1);
      process.env[THREADS_ENV] = 'many';
      expect(() => resolveThreadCount()).toThrow(/ORCHARD_CPU_THREADS \(now 'many'\) must be a whole number/);
      delete process.env[THREADS_ENV];
      expect(resolveThreadCount()).toBeGreaterThanOrEqual(1);
      expect(() => resolveThreadCount(0)).toThrow(/threads must be a whole number/);
      expect(createGemmPool({ threads: 1 })).toBe('one thread asked for');
    } finally {
      if (saved === undefined) delete process.env[THREADS_ENV];
      else process.env[THREADS_ENV] = saved;
    }
  });
});
