/**
 * A WebAssembly SIMD matmul kernel, assembled here from bytes (no toolchain, no binary blob): a 4x8
 * register tile of f32x4 accumulators over packed panels. A is packed as [M/4][K][4] and B as
 * [N/8][K][8] (zero-padded), so the inner loop reads two contiguous streams. Sums accumulate in
 * f32 like PyTorch's CPU matmul (error ~ sqrt(K) ulp). Where WebAssembly SIMD is missing,
 * createWasmGemm returns null and the JS kernel (matmul.ts) runs instead.
 */

import type { Gemm } from './gemm.ts';

// ---- a tiny assembler ----

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (d: number) => [0x0c, ...uleb(d)],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  get: (l: number) => [0x20, ...uleb(l)],
  set: (l: number) => [0x21, ...uleb(l)],
  tee: (l: number) => [0x22, ...uleb(l)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  geU: [0x4f],
  eqz: [0x45],
  f32Load: (offset: number) => [0x2a, 2, ...uleb(offset)],
  simd: (code: number, ...rest: number[]) => [0xfd, ...uleb(code), ...rest],
};
const v128Load = (offset: number) => op.simd(0x00, 4, ...uleb(offset));
const v128Store = (offset: number) => op.simd(0x0b, 4, ...uleb(offset));
const v128Zero = op.simd(0x0c, ...new Array(16).fill(0));
const f32x4Splat = op.simd(0x13);
const f32x4Add = op.simd(0xe4);
const f32x4Mul = op.simd(0xe6);

/** Limits of a shared memory the module imports as env.mem (threads/gemm-pool.ts), in 64 KiB pages. */
export interface SharedMemoryLimits {
  initial: number;
  maximum: number;
}

/**
 * gemm(aPtr, bPtr, cPtr, M4, N8, K): C[M4][N8] = packedA . packedB (byte pointers). The module
 * defines its own memory, or with `shared` imports a shared one (env.mem) that several threads
 * run it on.
 */
export function gemmModule(shared?: SharedMemoryLimits): Uint8Array<ArrayBuffer> {
  // params
  const [aPtr, bPtr, cPtr, M4, N8, K] = [0, 1, 2, 3, 4, 5];
  // i32 locals
  const [j, i, k, pa, pb, pc] = [6, 7, 8, 9, 10, 11];
  // v128 locals: 8 accumulators (row r: acc 2r for cols 0-3, 2r+1 for cols 4-7), b0, b1, a
  const acc = (n: number) => 12 + n;
  const [b0, b1, a] = [20, 21, 22];

  const body: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) body.push(...p);
  };
  emit(op.i32(0), op.set(j), op.block, op.loop);
  emit(op.get(j), op.get(N8), op.geU, op.brIf(1));
  emit(op.i32(0), op.set(i), op.block, op.loop);
  emit(op.get(i), op.get(M4), op.geU, op.brIf(1));
  // pa = aPtr + i*K*4; pb = bPtr + j*K*4 (panel starts, in bytes)
  emit(op.get(aPtr), op.get(i), op.get(K), op.mul, op.i32(4), op.mul, op.add, op.set(pa));
  emit(op.get(bPtr), op.get(j), op.get(K), op.mul, op.i32(4), op.mul, op.add, op.set(pb));
  for (let n = 0; n < 8; n++) emit(v128Zero, op.set(acc(n)));
  emit(op.get(K), op.set(k), op.block, op.loop);
  emit(op.get(k), op.eqz, op.brIf(1));
  emit(op.get(pb), v128Load(0), op.set(b0), op.get(pb), v128Load(16), op.set(b1));
  for (let r = 0; r < 4; r++) {
    emit(op.get(pa), op.f32Load(4 * r), f32x4Splat, op.tee(a));
    emit(op.get(b0), f32x4Mul, op.get(acc(2 * r)), f32x4Add, op.set(acc(2 * r)));
    emit(op.get(a), op.get(b1), f32x4Mul, op.get(acc(2 * r + 1)), f32x4Add, op.set(acc(2 * r + 1)));
  }
  emit(op.get(pa), op.i32(16), op.add, op.set(pa));
  emit(op.get(pb), op.i32(32), op.add, op.set(pb));
  emit(op.get(k), op.i32(1), op.sub, op.set(k));
  emit(op.br(0), op.end, op.end);
  // store rows i..i+3, cols j..j+7
  for (let r = 0; r < 4; r++) {
    emit(op.get(cPtr), op.get(i), op.i32(r), op.add, op.get(N8), op.mul, op.get(j), op.add, op.i32(4), op.mul, op.add);
    emit(op.tee(pc), op.get(acc(2 * r)), v128Store(0), op.get(pc), op.get(acc(2 * r + 1)), v128Store(16));
  }
  emit(op.get(i), op.i32(4), op.add, op.set(i), op.br(0), op.end, op.end);
  emit(op.get(j), op.i32(8), op.add, op.set(j), op.br(0), op.end, op.end);
  emit(op.end);

  const locals = vec([
    [...uleb(6), I32],
    [...uleb(11), V128],
  ]);
  const code = [...locals, ...body];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(new Array(6).fill([I32])), ...vec([])]])),
    // import "env" "mem": a memory with flags 0x03 (shared, has a maximum)
    ...(shared
      ? section(
          2,
          vec([[...name('env'), ...name('mem'), 0x02, 0x03, ...uleb(shared.initial), ...uleb(shared.maximum)]]),
        )
      : []),
    ...section(3, vec([uleb(0)])),
    ...(shared ? [] : section(5, vec([[0x00, ...uleb(1)]]))),
    ...section(
      7,
      vec([
        [...name('mem'), 0x02, 0x00],
        [...name('gemm'), 0x00, 0x00],
      ]),
    ),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ];
  return new Uint8Array(bytes);
}

// ---- the JS side: packing and calls ----

const PAGE = 65536;
const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** The SIMD kernel, or null where the runtime lacks WebAssembly SIMD. */
export function createWasmGemm(): Gemm | null {
  if (typeof WebAssembly === 'undefined') return null;
  const bytes = gemmModule();
  if (!WebAssembly.validate(bytes)) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const memory = instance.exports.mem as WebAssembly.Memory;
  const run = instance.exports.gemm as (a: number, b: number, c: number, m4: number, n8: number, k: number) => void;
  let heap = new Float32Array(memory.buffer);

  return (A, aOff, transA, B, bOff, transB, C, cOff, M, N, K) => {
    const M4 = Math.ceil(M / 4) * 4;
    const N8 = Math.ceil(N / 8) * 8;
    const aBytes = align16(M4 * K * 4);
    const bBytes = align16(N8 * K * 4);
    const need = aBytes + bBytes + M4 * N8 * 4;
    if (need > memory.buffer.byteLength) {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
      heap = new Float32Array(memory.buffer);
    }
    const ap = 0;
    const bp = aBytes / 4;
    const cp = (aBytes + bBytes) / 4;
    // A' -> [M4/4][K][4]; padding rows are zero.
    for (let i = 0; i < M4; i++) {
      const base = ap + (i >> 2) * K * 4 + (i & 3);
      if (i >= M) {
        for (let kk = 0; kk < K; kk++) heap[base + kk * 4] = 0;
      } else if (transA) {
        for (let kk = 0; kk < K; kk++) heap[base + kk * 4] = A[aOff + kk * M + i];
      } else {
        const row = aOff + i * K;
        for (let kk = 0; kk < K; kk++) heap[base + kk * 4] = A[row + kk];
      }
    }
    // B' -> [N8/8][K][8]; padding columns are zero.
    for (let jj = 0; jj < N8; jj++) {
      const base = bp + (jj >> 3) * K * 8 + (jj & 7);
      if (jj >= N) {
        for (let kk = 0; kk < K; kk++) heap[base + kk * 8] = 0;
      } else if (transB) {
        const row = bOff + jj * K;
        for (let kk = 0; kk < K; kk++) heap[base + kk * 8] = B[row + kk];
      } else {
        for (let kk = 0; kk < K; kk++) heap[base + kk * 8] = B[bOff + kk * N + jj];
      }
    }
    run(ap * 4, bp * 4, cp * 4, M4, N8, K);
    if (N8 === N) {
      C.set(heap.subarray(cp, cp + M * N), cOff);
    } else {
      for (let i = 0; i < M; i++) C.set(heap.subarray(cp + i * N8, cp + i * N8 + N), cOff + i * N);
    }
  };
}
