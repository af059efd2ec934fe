/**
 * How threads share a job, and the gemm's chunks. A job is cut into chunks; the calling thread
 * and every helper claim chunks one at a time from a shared counter (compare-and-swap on the job
 * word), so a helper that is slow to wake, or descheduled on a loaded machine, costs at most the
 * chunk it holds: the caller claims the rest. A threaded gemm is two jobs on the same shared
 * WebAssembly memory: packing (A row groups and B column panels, exactly as the single-thread
 * kernel packs them), then multiplying (output row groups, or column panels when there are too few
 * row groups) into the unpadded output. Work is split over output elements only, never over K, so
 * every element is the same sum in the same order as with one thread: results are bit-identical
 * for any thread count and any claiming order.
 *
 * Every function here must stay self-contained (no imports, no module-level names but the helpers
 * in GEMM_HELPERS): the helper threads run their source text, the helpers' first (worker-source.ts).
 */

/** Indices into the job's control array (an Int32Array over a SharedArrayBuffer). */
export const JOB = {
  /** Products in the job (a batched matmul), each C[M][N] = A'[M][K] . B'[K][N]. */
  P: 0,
  M: 1,
  N: 2,
  K: 3,
  TRANS_A: 4,
  TRANS_B: 5,
  /** Floats between consecutive products' raw A; raw B likewise, 0 when every product shares one B. */
  A_STRIDE: 6,
  B_STRIDE: 7,
  /** Float offsets in the shared heap of: raw operands, packed panels, padded C, unpadded output. */
  RAW_A: 8,
  RAW_B: 9,
  PACK_A: 10,
  PACK_B: 11,
  C_PAD: 12,
  OUT: 13,
  /** 1: the multiply splits each product's column panels; 0: (product, row group) tiles. */
  BY_COLS: 14,
  /** Chunks in the current job. */
  CHUNKS: 15,
  /**
   * The job word: (job sequence << 16) | next unclaimed chunk. Between jobs the chunk field is
   * CLOSED, so a late claim for a finished job always fails while the next job's fields are written.
   */
  WORD: 16,
  /** Chunks finished in the current job. */
  DONE: 17,
  SHUTDOWN: 18,
  /** Microseconds a thread spins on a shared counter before it sleeps in Atomics.wait. */
  SPIN_US: 19,
  /** The job's kind: 0 gemm packing, 1 gemm multiply (the fields above), 2 a range kernel (below). */
  KIND: 20,
  /** Range jobs (range-share.ts): the kernel's id, its units, the chunks' alignment, operands. */
  RANGE: 21,
  UNITS: 22,
  ALIGN: 23,
  OPS: 24,
  /** Each operand's kind (threads/ranges/types.ts OPERAND_KIND), up to 8 operands. */
  OP_KINDS: 25,
  /** The kernel's ints: operand offsets, then integer attributes (INT_COUNT at most). */
  INTS: 33,
  INT_COUNT: 29,
  /** Set by a helper whose chunk threw; the caller reports it. */
  FAILED: 62,
  /** Per helper thread w: SLOTS + SLOT * w + 1 is its ready flag. */
  SLOTS: 64,
  SLOT: 4,
  /** The job word's chunk field between jobs (above any chunk count). */
  CLOSED: 0xffff,
  /** A gap this long (ms) between two checks of a spinning thread: it was descheduled. */
  PREEMPTED_MS: 0.5,
} as const;

export type JobLayout = typeof JOB;

/** The kernel's export: gemm(aPtr, bPtr, cPtr, M4, N8, K) over packed panels, byte pointers. */
export type GemmExport = (a: number, b: number, c: number, m4: number, n8: number, k: number) => void;

/**
 * Waits until ctl[i] >= target: spins for up to ctl[SPIN_US] microseconds, then sleeps. Spinning
 * matters: a sleeping thread's wake-up often lands on the waker's core and runs after it instead
 * of beside it. But a spin that finds itself descheduled (a clock jump of PREEMPTED_MS between two
 * checks: the machine is busier than its cores) sleeps at once, handing its time to the thread it
 * waits for.
 */
export function awaitCount(L: JobLayout, ctl: Int32Array, i: number, target: number): void {
  if (Atomics.load(ctl, i) >= target) return;
  let last = performance.now();
  const until = last + ctl[L.SPIN_US] / 1000;
  for (let s = 1; Atomics.load(ctl, i) < target; s++) {
    if ((s & 63) !== 0) continue;
    const now = performance.now();
    if (now > until || now - last > L.PREEMPTED_MS) break;
    last = now;
  }
  for (let v = Atomics.load(ctl, i); v < target; v = Atomics.load(ctl, i)) Atomics.wait(ctl, i, v);
}

/**
 * Claims and runs chunks of job `seq` (n chunks) until none is left or the job is over; each
 * finished chunk is counted in DONE (the last one wakes the caller). Returns the chunks it ran.
 */
export function claimChunks(L: JobLayout, ctl: Int32Array, seq: number, n: number, run: (c: number) => void): number {
  let ran = 0;
  for (;;) {
    const w = Atomics.load(ctl, L.WORD);
    const c = w & 0xffff;
    if (w >>> 16 !== seq || c >= n) return ran;
    if (Atomics.compareExchange(ctl, L.WORD, w, w + 1) !== w) continue;
    try {
      run(c);
    } catch {
      // The caller is told and throws; a chunk never counted would hang it instead.
      Atomics.store(ctl, L.FAILED, 1);
    }
    ran++;
    if (Atomics.add(ctl, L.DONE, 1) + 1 === n) Atomics.notify(ctl, L.DONE);
  }
}

/**
 * Where chunk k of n starts among U shares (U for k >= n). Chunks shrink linearly (chunk k holds
 * (n - k) shares): few claims, and a short last one.
 */
export function chunkStart(U: number, n: number, k: number): number {
  return k >= n ? U : Math.floor(U * (1 - ((n - k) * (n - k + 1)) / (n * (n + 1))));
}

/** A gemm job's sizes and packed operands, from its control array (padded to 4 rows, 8 columns). */
export function gemmJobShape(L: JobLayout, ctl: Int32Array) {
  const M = ctl[L.M];
  const N = ctl[L.N];
  const M4 = ((M + 3) >> 2) << 2;
  const N8 = ((N + 7) >> 3) << 3;
  return {
    P: ctl[L.P],
    M,
    N,
    K: ctl[L.K],
    bStride: ctl[L.B_STRIDE],
    packA: ctl[L.PACK_A],
    packB: ctl[L.PACK_B],
    M4,
    N8,
    G: M4 >> 2,
    Q: N8 >> 3,
  };
}

/** The helpers gemmPackChunk and gemmMulChunk call: helper threads define them first, by their runtime names. */
export const GEMM_HELPERS = [chunkStart, gemmJobShape] as const;

/** Packing chunk c of n: its share of A' row groups -> [M4/4][K][4] and B' panels -> [N8/8][K][8]. */
export function gemmPackChunk(L: JobLayout, ctl: Int32Array, heap: Float32Array, c: number, n: number): void {
  const { P, M, N, K, bStride, packA, packB, M4, N8, G, Q } = gemmJobShape(L, ctl);
  const transA = ctl[L.TRANS_A] !== 0;
  const transB = ctl[L.TRANS_B] !== 0;
  const aStride = ctl[L.A_STRIDE];
  const rawA = ctl[L.RAW_A];
  const rawB = ctl[L.RAW_B];
  const PB = bStride === 0 ? 1 : P;
  const U = P * G + PB * Q;
  const end = chunkStart(U, n, c + 1);
  for (let u = chunkStart(U, n, c); u < end; u++) {
    if (u < P * G) {
      // A' row group: padding rows are zero.
      const p = Math.floor(u / G);
      const i0 = (u - p * G) * 4;
      const src = rawA + p * aStride;
      const dst = packA + p * M4 * K + i0 * K;
      for (let r = 0; r < 4; r++) {
        const i = i0 + r;
        if (i >= M) {
          for (let k = 0; k < K; k++) heap[dst + k * 4 + r] = 0;
        } else if (transA) {
          for (let k = 0; k < K; k++) heap[dst + k * 4 + r] = heap[src + k * M + i];
        } else {
          const row = src + i * K;
          for (let k = 0; k < K; k++) heap[dst + k * 4 + r] = heap[row + k];
        }
      }
      continue;
    }
    // B' column panel: padding columns are zero.
    const v = u - P * G;
    const q = Math.floor(v / Q);
    const j0 = (v - q * Q) * 8;
    const src = rawB + q * bStride;
    const dst = packB + q * N8 * K + j0 * K;
    const width = Math.min(8, N - j0);
    if (transB) {
      for (let jj = 0; jj < 8; jj++) {
        const row = src + (j0 + jj) * K;
        if (jj >= width) for (let k = 0; k < K; k++) heap[dst + k * 8 + jj] = 0;
        else for (let k = 0; k < K; k++) heap[dst + k * 8 + jj] = heap[row + k];
      }
    } else {
      for (let k = 0; k < K; k++) {
        const row = src + k * N + j0;
        const d = dst + k * 8;
        for (let jj = 0; jj < 8; jj++) heap[d + jj] = jj < width ? heap[row + jj] : 0;
      }
    }
  }
}

/** Multiply chunk c of n: its output tiles through the SIMD kernel, then into the unpadded output. */
export function gemmMulChunk(
  L: JobLayout,
  ctl: Int32Array,
  heap: Float32Array,
  gemm: GemmExport,
  c: number,
  n: number,
): void {
  const { P, M, N, K, bStride, packA, packB, M4, N8, G, Q } = gemmJobShape(L, ctl);
  const cPad = ctl[L.C_PAD];
  const out = ctl[L.OUT];
  const at = (U: number, k: number) => chunkStart(U, n, k);
  if (ctl[L.BY_COLS] === 0) {
    const u0 = at(P * G, c);
    const u1 = at(P * G, c + 1);
    for (let u = u0; u < u1; ) {
      const p = Math.floor(u / G);
      const g0 = u - p * G;
      const g1 = Math.min(G, g0 + (u1 - u));
      const q = bStride === 0 ? 0 : p;
      gemm(
        (packA + p * M4 * K + g0 * 4 * K) * 4,
        (packB + q * N8 * K) * 4,
        (cPad + p * M4 * N8 + g0 * 4 * N8) * 4,
        (g1 - g0) * 4,
        N8,
        K,
      );
      if (out !== cPad) {
        for (let i = g0 * 4; i < Math.min(M, g1 * 4); i++) {
          const from = cPad + p * M4 * N8 + i * N8;
          heap.copyWithin(out + p * M * N + i * N, from, from + N);
        }
      }
      u += g1 - g0;
    }
    return;
  }
  const c0 = at(Q, c);
  const c1 = at(Q, c + 1);
  const w = (c1 - c0) * 8;
  const cols = Math.min(w, N - c0 * 8);
  for (let p = 0; p < P && c1 > c0; p++) {
    const q = bStride === 0 ? 0 : p;
    // This chunk's tile of product p: [M4][w] at the start of its columns' share of C_pad.
    const tile = cPad + p * M4 * N8 + M4 * c0 * 8;
    gemm((packA + p * M4 * K) * 4, (packB + q * N8 * K + c0 * 8 * K) * 4, tile * 4, M4, w, K);
    for (let i = 0; i < M; i++) heap.copyWithin(out + p * M * N + i * N + c0 * 8, tile + i * w, tile + i * w + cols);
  }
}
