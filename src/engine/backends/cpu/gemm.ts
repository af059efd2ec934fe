/**
 * The gemms behind the CPU matmul kernel (ops/matmul/cpu.ts), for every transpose combination and
 * a shared 2-D b: the WebAssembly SIMD kernel (wasm-gemm.ts) where available, else the JS kernel here. The JS kernel
 * packs both operands to run along K contiguously (A as [M][K], B as [N][K]), then a
 * register-blocked 4x2 dot-product kernel walks B in column blocks that stay in cache. Its sums
 * accumulate in float64 locals (JS numbers); scratch is allocated once per compiled launch.
 */
import type { Shape } from '../../ops.ts';
import type { F32View } from './tensor.ts';

export interface MatmulDims {
  batch: number;
  M: number;
  N: number;
  K: number;
  /** b is 2-D and shared by every batch. */
  sharedB: boolean;
}

/** One batched matmul launch: out = op(a) . op(b) for each of d.batch products. */
export interface MatmulLaunch {
  a: F32View;
  b: F32View;
  transA: boolean;
  transB: boolean;
  out: F32View;
  d: MatmulDims;
}

export function matmulDims(aShape: Shape, bShape: Shape, transA: boolean): MatmulDims {
  const ar = aShape.length;
  const br = bShape.length;
  const M = transA ? aShape[ar - 1] : aShape[ar - 2];
  const K = transA ? aShape[ar - 2] : aShape[ar - 1];
  const N = (bShape[br - 1] * bShape[br - 2]) / K;
  let batch = 1;
  for (let i = 0; i < ar - 2; i++) batch *= aShape[i];
  return { batch, M, N, K, sharedB: br === 2 };
}

/**
 * One product C[M][N] = A' . B' at element offsets; A' is A[M][K] or, when transA, the transpose
 * of A[K][M]; B' is B[K][N] or, when transB, the transpose of B[N][K].
 */
export type Gemm = (
  A: Float32Array,
  aOff: number,
  transA: boolean,
  B: Float32Array,
  bOff: number,
  transB: boolean,
  C: Float32Array,
  cOff: number,
  M: number,
  N: number,
  K: number,
) => void;

/**
 * The portable JS gemm: operands packed K-contiguous into scratch sized for this launch, then the
 * register-blocked dot-product kernel below, accumulating in float64.
 */
export function jsGemm(d: MatmulDims, transA: boolean, transB: boolean): Gemm {
  const rows = d.sharedB && !transA ? d.batch * d.M : d.M;
  const scratchA = new Float32Array(transA ? rows * d.K : 0);
  const scratchB = new Float32Array(transB ? 0 : d.N * d.K);
  return (A, aOff, tA, B, bOff, tB, C, cOff, M, N, K) => {
    const ap = packA(A, aOff, tA, M, K, scratchA);
    const bp = packB(B, bOff, tB, N, K, scratchB);
    gemm(ap.data, ap.off, bp.data, bp.off, C, cOff, M, N, K);
  };
}

interface Packed {
  data: Float32Array;
  off: number;
}

/** A as [M][K] row-major: a view when not transposed, else transposed into scratch. */
function packA(src: Float32Array, off: number, transA: boolean, M: number, K: number, dst: Float32Array): Packed {
  if (!transA) return { data: src, off };
  transpose(src, off, K, M, dst);
  return { data: dst, off: 0 };
}

/** B as [N][K] row-major: a view when transB, else transposed into scratch. */
function packB(src: Float32Array, off: number, transB: boolean, N: number, K: number, dst: Float32Array): Packed {
  if (transB) return { data: src, off };
  transpose(src, off, K, N, dst);
  return { data: dst, off: 0 };
}

/** dst[c][r] = src[off + r * cols + c] for an rows x cols source, in cache-sized tiles. */
function transpose(src: Float32Array, off: number, rows: number, cols: number, dst: Float32Array): void {
  const TB = 32;
  for (let r0 = 0; r0 < rows; r0 += TB) {
    const r1 = Math.min(rows, r0 + TB);
    for (let c0 = 0; c0 < cols; c0 += TB) {
      const c1 = Math.min(cols, c0 + TB);
      for (let r = r0; r < r1; r++) {
        const s = off + r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[s + c];
      }
    }
  }
}

/** Rows of packed B per cache block: NB * K floats should sit in L2. */
const NB = 64;

/** C[M][N] = A[M][K] . B[N][K]^T, both operands K-contiguous. */
function gemm(
  A: Float32Array,
  aOff: number,
  B: Float32Array,
  bOff: number,
  C: Float32Array,
  cOff: number,
  M: number,
  N: number,
  K: number,
): void {
  const M4 = M - (M % 4);
  for (let j0 = 0; j0 < N; j0 += NB) {
    const j1 = Math.min(N, j0 + NB);
    const j2end = j1 - ((j1 - j0) % 2);
    for (let i = 0; i < M4; i += 4) {
      const a0 = aOff + i * K;
      const a1 = a0 + K;
      const a2 = a1 + K;
      const a3 = a2 + K;
      for (let j = j0; j < j2end; j += 2) {
        const b0 = bOff + j * K;
        const b1 = b0 + K;
        let c00 = 0;
        let c01 = 0;
        let c10 = 0;
        let c11 = 0;
        let c20 = 0;
        let c21 = 0;
        let c30 = 0;
        let c31 = 0;
        for (let k = 0; k < K; k++) {
          const x0 = B[b0 + k];
          const x1 = B[b1 + k];
          const y0 = A[a0 + k];
          const y1 = A[a1 + k];
          const y2 = A[a2 + k];
          const y3 = A[a3 + k];
          c00 += y0 * x0;
          c01 += y0 * x1;
          c10 += y1 * x0;
          c11 += y1 * x1;
          c20 += y2 * x0;
          c21 += y2 * x1;
          c30 += y3 * x0;
          c31 += y3 * x1;
        }
        const c = cOff + i * N + j;
        C[c] = c00;
        C[c + 1] = c01;
        C[c + N] = c10;
        C[c + N + 1] = c11;
        C[c + 2 * N] = c20;
        C[c + 2 * N + 1] = c21;
        C[c + 3 * N] = c30;
        C[c + 3 * N + 1] = c31;
      }
      for (let j = j2end; j < j1; j++)
        for (let r = 0; r < 4; r++) C[cOff + (i + r) * N + j] = dot(A, a0 + r * K, B, bOff + j * K, K);
    }
    for (let i = M4; i < M; i++)
      for (let j = j0; j < j1; j++) C[cOff + i * N + j] = dot(A, aOff + i * K, B, bOff + j * K, K);
  }
}

function dot(A: Float32Array, a: number, B: Float32Array, b: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += A[a + k] * B[b + k];
  return s;
}
