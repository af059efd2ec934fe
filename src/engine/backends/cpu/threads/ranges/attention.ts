/**
 * Range kernels of fused causal attention (ops/attention): the forward, the row statistics, dQ and
 * dK/dV, over blocks of BK rows whose products run on the SIMD gemm (wasm-gemm.ts) in the chunk's
 * own scratch slot. The forward, the statistics and dQ split over (batch, head, query block); dK
 * and dV over (batch, kv head, key block), each unit summing over its kv head's query heads and
 * their query blocks in the reference's order. A unit writes only its own output rows and computes
 * them as the reference loops of ops/attention/cpu.ts do through the SIMD gemm: the same products
 * (each element summed in the same order) and the same float64 softmax arithmetic, so any split
 * over threads gives the reference's bits. Unlike the reference, each operand block is packed into
 * the gemm's panel layout (A as [M4/4][K][4], B as [N8/8][K][8], padding zero) once where the
 * reference packs it for every product, probabilities are written straight into the next
 * product's panel, and key blocks that are all padding are skipped (attnAnyKey).
 *
 * Every kernel takes arr [q, k, v, mask, dOut, aux, out, scratch] (aux: the attention output for
 * the statistics, the statistics for the gradients; an unused operand repeats another), a [those
 * 8 element offsets, B, H, Hkv, Tq, Tk, D, BK, slot floats, variant (see each kernel), cached key
 * blocks per slot (0 for dK/dV)], f [scale,
 * EMPTY_ROW_LSE], and `gemm` and `chunk` (the slot) from the caller (threads/range-share.ts).
 * A scratch slot (floats from its base; D8: D rounded up to 8; ops/attention/cpu-range.ts sizes it):
 *   QA, GA, KB, VB: [BK x D] panels (q and dOut blocks as A, k and v blocks as transposed B);
 *   S, DP, PA: [BK x BK] (score and dP products, p or dS as an A panel);
 *   VN, PROD: [BK x D8] (a [rows x D] block as B, PA's product with it); ACC: [BK x D] float32 sums;
 *   then a[17] cached blocks of [3 x BK x D8] each (attnCached).
 *
 * Self-contained but for this file's block helpers (no imports, no other module-level names;
 * kernels and helpers in one file, as a test runner rewrites calls across modules): helper threads
 * run their source text, the helpers' first (index.ts RANGE_HELPERS, worker-source.ts).
 */
import type { RangeArray, RangeKernel } from './types.ts';

/**
 * Rows [n x K] of src (row i at so + i * K) as a gemm panel at heap[dst] (lanes 4: A as
 * [M4/4][K][4]; lanes 8: the transposed B as [N8/8][K][8]), rows up to a multiple of lanes zero;
 * returns that multiple (the gemm's M4 or N8).
 */
export function attnPack(
  heap: RangeArray,
  dst: number,
  src: RangeArray,
  so: number,
  n: number,
  K: number,
  lanes: number,
) {
  const n4 = Math.ceil(n / lanes) * lanes;
  for (let i = 0; i < n4; i++) {
    const at = dst + Math.floor(i / lanes) * K * lanes + (i % lanes);
    const row = so + i * K;
    if (i < n) for (let k = 0; k < K; k++) heap[at + k * lanes] = src[row + k];
    else for (let k = 0; k < K; k++) heap[at + k * lanes] = 0;
  }
  return n4;
}

/** Rows [K x N] of src (row k at so + k * N) as the gemm's B panel [N8/8][K][8] at heap[dst]; returns N8. */
export function attnPackCols(heap: RangeArray, dst: number, src: RangeArray, so: number, K: number, N: number) {
  const N8 = Math.ceil(N / 8) * 8;
  for (let p = 0; p < N8; p += 8) {
    const w = Math.min(8, N - p);
    for (let k = 0; k < K; k++) {
      const at = dst + p * K + k * 8;
      const row = so + k * N + p;
      for (let c = 0; c < w; c++) heap[at + c] = src[row + c];
      for (let c = w; c < 8; c++) heap[at + c] = 0;
    }
  }
  return N8;
}

/**
 * 1 when any of the n keys of mask from mo is visible, else 0: a key block whose keys are all
 * masked gives p = 0 to every query, so in the reference its products add +0 and its rescaling is
 * by 1, which leaves every sum as it was (for finite inputs); the kernels skip such blocks (padding).
 */
export function attnAnyKey(mask: RangeArray, mo: number, n: number) {
  for (let c = 0; c < n; c++) if (mask[mo + c] !== 0) return 1;
  return 0;
}

/**
 * Probabilities of query rows i0.. (qn) of head bh (b H + h) against keys j0.. (kn), from the
 * scores in the slot's S and the rows' logsumexp (aux), or with dp dS = p (dP - delta) from DP;
 * invisible pairs 0. Written to the slot's PA as an A panel: p [qn x kn], or with `trans` its
 * transpose [kn x qn] (for dS^T q and p^T dOut); padding rows zero. As cpu.ts probsBlock.
 */
export function attnProbs(
  arr: RangeArray[],
  a: Int32Array,
  f: Float64Array,
  base: number,
  bh: number,
  i0: number,
  qn: number,
  j0: number,
  kn: number,
  trans: number,
  dp: number,
) {
  const [heap, mask, stats] = [arr[7], arr[3], arr[5]];
  const [H, Tq, Tk, D, BK] = [a[9], a[11], a[12], a[13], a[14]];
  const S = base + 4 * BK * D;
  const DP = S + BK * BK;
  const PA = DP + BK * BK;
  const N8 = Math.ceil(kn / 8) * 8;
  const mo = a[3] + Math.floor(bh / H) * Tk + j0;
  const shift = Tk - Tq;
  const scale = f[0];
  const step = trans !== 0 ? 4 * qn : 0;
  for (let r = 0; r < qn; r++) {
    const row = a[5] + 2 * (bh * Tq + i0 + r);
    const [lse, delta] = [stats[row], stats[row + 1]];
    const visible = Math.min(kn, i0 + r + shift - j0 + 1);
    const [e0, d0] = [S + r * N8, DP + r * N8];
    // Element (r, c) goes to (r >> 2, c, r & 3) of the panel, or (c >> 2, r, c & 3) transposed.
    const rowAt = trans !== 0 ? PA + 4 * r : PA + (r >> 2) * kn * 4 + (r & 3);
    for (let c = 0; c < kn; c++) {
      const p = c < visible && mask[mo + c] !== 0 ? Math.exp(scale * heap[e0 + c] - lse) : 0;
      const at = trans !== 0 ? rowAt + (c >> 2) * step + (c & 3) : rowAt + 4 * c;
      heap[at] = dp !== 0 ? p * (heap[d0 + c] - delta) : p;
    }
  }
  if (trans !== 0) {
    for (let c = kn; c < Math.ceil(kn / 4) * 4; c++)
      for (let r = 0; r < qn; r++) heap[PA + (c >> 2) * qn * 4 + 4 * r + (c & 3)] = 0;
  } else {
    for (let r = qn; r < Math.ceil(qn / 4) * 4; r++)
      for (let c = 0; c < kn; c++) heap[PA + (r >> 2) * kn * 4 + (r & 3) + 4 * c] = 0;
  }
  return 0;
}

/**
 * A slot's cache of packed blocks (a[17] entries of [3 x BK x D8]): a chunk's units meet the same
 * blocks again (a head's query blocks and a kv head's query heads need the same key blocks; a kv
 * head's key blocks the same query blocks), so each is packed once per chunk (tags[e]: whose block
 * entry e holds) instead of once per pair. Entry e (-1: not cached) of n rows from row offset so;
 * mode 0, 1, 2: k as the transposed B, then with 1 v as B, with 2 v as the transposed B and k as
 * B; 3 (dV), 4 (dK): q as A, with 4 dOut as A, then dOut (3) or q (4) as B. Returns where the
 * entry's panels start, or -1.
 */
export function attnCached(
  arr: RangeArray[],
  a: Int32Array,
  base: number,
  tags: Float64Array,
  tag: number,
  e: number,
  so: number,
  n: number,
  mode: number,
) {
  if (e < 0 || e >= a[17]) return -1;
  const [heap, D, BK] = [arr[7], a[13], a[14]];
  const P = BK * Math.ceil(D / 8) * 8;
  const at = base + 5 * BK * D + 3 * BK * BK + 2 * P + 3 * e * P;
  if (tags[e] === tag) return at;
  tags[e] = tag;
  if (mode < 3) {
    attnPack(heap, at, arr[1], a[1] + so, n, D, 8);
    if (mode === 1) attnPackCols(heap, at + P, arr[2], a[2] + so, n, D);
    if (mode === 2) attnPack(heap, at + P, arr[2], a[2] + so, n, D, 8);
    if (mode === 2) attnPackCols(heap, at + 2 * P, arr[1], a[1] + so, n, D);
    return at;
  }
  attnPack(heap, at, arr[0], a[0] + so, n, D, 4);
  if (mode === 4) attnPack(heap, at + P, arr[4], a[4] + so, n, D, 4);
  attnPackCols(heap, at + 2 * P, arr[mode === 4 ? 0 : 4], a[mode === 4 ? 0 : 4] + so, n, D);
  return at;
}

/**
 * The online softmax of query rows i0.. (qn) of head bh over their visible keys, as cpu.ts
 * onlineBlock: st holds each row's running max (st[r]), sum of exp(s - max) (st[BK + r], 0 when
 * no key is visible) and last rescaling (st[2 BK + r]); with withV the slot's ACC gets the
 * unnormalised sum of p v.
 */
export function attnOnline(
  arr: RangeArray[],
  a: Int32Array,
  f: Float64Array,
  gemm: (aPtr: number, bPtr: number, cPtr: number, m4: number, n8: number, k: number) => void,
  base: number,
  st: Float64Array,
  tags: Float64Array,
  withV: number,
  bh: number,
  i0: number,
  qn: number,
) {
  const [heap, mask] = [arr[7], arr[3]];
  const [H, Hkv, Tq, Tk, D, BK] = [a[9], a[10], a[11], a[12], a[13], a[14]];
  const D8 = Math.ceil(D / 8) * 8;
  const [QA, KB, S] = [base, base + 2 * BK * D, base + 4 * BK * D];
  const PA = S + 2 * BK * BK;
  const VN = PA + BK * BK;
  const PROD = VN + BK * D8;
  const ACC = PROD + BK * D8;
  const b = Math.floor(bh / H);
  const kv = (b * Hkv + Math.floor((bh % H) / (H / Hkv))) * Tk * D;
  const mo = a[3] + b * Tk;
  const shift = Tk - Tq;
  const scale = f[0];
  for (let r = 0; r < qn; r++) {
    st[r] = Number.NEGATIVE_INFINITY;
    st[BK + r] = 0;
  }
  heap.fill(0, ACC, ACC + qn * D);
  const M4 = attnPack(heap, QA, arr[0], a[0] + (bh * Tq + i0) * D, qn, D, 4);
  const lastKey = i0 + qn - 1 + shift;
  for (let j0 = 0; j0 <= lastKey; j0 += BK) {
    const kn = Math.min(BK, lastKey + 1 - j0);
    if (attnAnyKey(mask, mo + j0, kn) === 0) continue;
    // Key blocks cut short by the causal limit (kn under the block's rows, when Tq < Tk) are packed anew.
    const e = kn === Math.min(BK, Tk - j0) ? j0 / BK : -1;
    const cached = attnCached(arr, a, base, tags, kv, e, kv + j0 * D, kn, withV);
    const kPanel = cached >= 0 ? cached : KB;
    const N8 = cached >= 0 ? Math.ceil(kn / 8) * 8 : attnPack(heap, KB, arr[1], a[1] + kv + j0 * D, kn, D, 8);
    gemm(4 * QA, 4 * kPanel, 4 * S, M4, N8, D);
    for (let r = 0; r < M4; r++) {
      const row = S + r * N8;
      const pa = PA + (r >> 2) * kn * 4 + (r & 3);
      const visible = r < qn ? Math.min(kn, i0 + r + shift - j0 + 1) : 0;
      const m0 = mo + j0;
      let bm = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < visible; c++) if (mask[m0 + c] !== 0) bm = Math.max(bm, scale * heap[row + c]);
      if (bm === Number.NEGATIVE_INFINITY) {
        // No visible key in this block (or a padding row): p is 0, the row's state unchanged.
        for (let c = 0; c < kn; c++) heap[pa + 4 * c] = 0;
        st[2 * BK + r] = 1;
        continue;
      }
      const mNew = Math.max(st[r], bm);
      const corr = Math.exp(st[r] - mNew);
      let sum = st[BK + r] * corr;
      // Keys past `visible` add p = 0 (sum + 0 is sum): written, not summed.
      for (let c = 0; c < visible; c++) {
        const p = mask[m0 + c] !== 0 ? Math.exp(scale * heap[row + c] - mNew) : 0;
        heap[pa + 4 * c] = p;
        sum += p;
      }
      for (let c = visible; c < kn; c++) heap[pa + 4 * c] = 0;
      st[BK + r] = sum;
      st[r] = mNew;
      st[2 * BK + r] = corr;
    }
    if (withV === 0) continue;
    const vPanel = cached >= 0 ? cached + BK * D8 : VN;
    if (cached < 0) attnPackCols(heap, VN, arr[2], a[2] + kv + j0 * D, kn, D);
    gemm(4 * PA, 4 * vPanel, 4 * PROD, M4, D8, kn);
    for (let r = 0; r < qn; r++) {
      const corr = st[2 * BK + r];
      for (let c = r * D, p = PROD + r * D8; c < (r + 1) * D; c++, p++) heap[ACC + c] = heap[ACC + c] * corr + heap[p];
    }
  }
  return M4;
}

/**
 * a[16] 0: out = softmax_causal(scale q k^T) v; 1: the row statistics [logsumexp (EMPTY_ROW_LSE
 * when no key is visible), rowsum(dOut * out)]. Units (b, h, query block).
 */
export const flashAttentionRange: RangeKernel = function flashAttentionRange(arr, a, f, lo, hi, gemm, chunk) {
  if (!gemm) throw new Error('flashAttentionRange: needs the SIMD gemm');
  const [g, y, out, heap] = [arr[4], arr[5], arr[6], arr[7]];
  const [Tq, D, BK] = [a[11], a[13], a[14]];
  const stats = a[16] !== 0;
  const base = a[7] + (chunk ?? 0) * a[15];
  const ACC = base + 4 * BK * D + 3 * BK * BK + 2 * BK * Math.ceil(D / 8) * 8;
  const nQB = Math.ceil(Tq / BK);
  const st = new Float64Array(3 * BK);
  const tags = new Float64Array(a[17]).fill(-1);
  for (let u = lo; u < hi; u++) {
    const qb = u % nQB;
    const bh = (u - qb) / nQB;
    const i0 = qb * BK;
    const qn = Math.min(BK, Tq - i0);
    attnOnline(arr, a, f, gemm, base, st, tags, stats ? 0 : 1, bh, i0, qn);
    for (let r = 0; r < qn; r++) {
      const row = bh * Tq + i0 + r;
      const l = st[BK + r];
      if (!stats) {
        const inv = l > 0 ? 1 / l : 0;
        for (let c = 0; c < D; c++) out[a[6] + row * D + c] = heap[ACC + r * D + c] * inv;
        continue;
      }
      let delta = 0;
      for (let c = row * D; c < (row + 1) * D; c++) delta += g[a[4] + c] * y[a[5] + c];
      out[a[6] + 2 * row] = l > 0 ? st[r] + Math.log(l) : f[1];
      out[a[6] + 2 * row + 1] = delta;
    }
  }
};

/** dQ = scale * sum over key blocks of dS k; units (b, h, query block). */
export const flashAttentionGradQRange: RangeKernel = function flashAttentionGradQRange(arr, a, f, lo, hi, gemm, chunk) {
  if (!gemm) throw new Error('flashAttentionGradQRange: needs the SIMD gemm');
  const [heap, out] = [arr[7], arr[6]];
  const [H, Hkv, Tq, Tk, D, BK] = [a[9], a[10], a[11], a[12], a[13], a[14]];
  const D8 = Math.ceil(D / 8) * 8;
  const QA = a[7] + (chunk ?? 0) * a[15];
  const [GA, KB, VB, S] = [QA + BK * D, QA + 2 * BK * D, QA + 3 * BK * D, QA + 4 * BK * D];
  const [DP, PA, VN] = [S + BK * BK, S + 2 * BK * BK, S + 3 * BK * BK];
  const PROD = VN + BK * D8;
  const ACC = PROD + BK * D8;
  const nQB = Math.ceil(Tq / BK);
  const tags = new Float64Array(a[17]).fill(-1);
  for (let u = lo; u < hi; u++) {
    const qb = u % nQB;
    const bh = (u - qb) / nQB;
    const b = Math.floor(bh / H);
    const i0 = qb * BK;
    const qn = Math.min(BK, Tq - i0);
    const qo = (bh * Tq + i0) * D;
    const kv = (b * Hkv + Math.floor((bh % H) / (H / Hkv))) * Tk * D;
    const M4 = attnPack(heap, QA, arr[0], a[0] + qo, qn, D, 4);
    attnPack(heap, GA, arr[4], a[4] + qo, qn, D, 4);
    heap.fill(0, ACC, ACC + qn * D);
    const lastKey = i0 + qn - 1 + Tk - Tq;
    for (let j0 = 0; j0 <= lastKey; j0 += BK) {
      const kn = Math.min(BK, lastKey + 1 - j0);
      if (attnAnyKey(arr[3], a[3] + b * Tk + j0, kn) === 0) continue;
      // K and V as transposed B, K as B: from the cache, else packed into the slot's KB, VB, VN.
      const at = attnCached(arr, a, QA, tags, kv, kn === Math.min(BK, Tk - j0) ? j0 / BK : -1, kv + j0 * D, kn, 2);
      const N8 = Math.ceil(kn / 8) * 8;
      if (at < 0) {
        attnPack(heap, KB, arr[1], a[1] + kv + j0 * D, kn, D, 8);
        attnPack(heap, VB, arr[2], a[2] + kv + j0 * D, kn, D, 8);
        attnPackCols(heap, VN, arr[1], a[1] + kv + j0 * D, kn, D);
      }
      const [kB, vB, kN] = at < 0 ? [KB, VB, VN] : [at, at + BK * D8, at + 2 * BK * D8];
      gemm(4 * QA, 4 * kB, 4 * S, M4, N8, D);
      gemm(4 * GA, 4 * vB, 4 * DP, M4, N8, D);
      attnProbs(arr, a, f, QA, bh, i0, qn, j0, kn, 0, 1);
      gemm(4 * PA, 4 * kN, 4 * PROD, M4, D8, kn);
      for (let r = 0; r < qn; r++) for (let c = 0; c < D; c++) heap[ACC + r * D + c] += heap[PROD + r * D8 + c];
    }
    for (let e = 0; e < qn * D; e++) out[a[6] + qo + e] = f[0] * heap[ACC + e];
  }
};

/**
 * a[16] 1: dK = scale * sum dS^T q; 0: dV = sum p^T dOut; of each key block, summed over the
 * query heads of its kv head (their query blocks from the first that sees it, as cpu.ts).
 * Units (b, kv head, key block).
 */
export const flashAttentionGradKVRange: RangeKernel = function flashAttentionGradKVRange(arr, a, f, lo, hi, gemm, c) {
  if (!gemm) throw new Error('flashAttentionGradKVRange: needs the SIMD gemm');
  const [heap, out] = [arr[7], arr[6]];
  const [H, Hkv, Tq, Tk, D, BK] = [a[9], a[10], a[11], a[12], a[13], a[14]];
  const gradK = a[16] !== 0;
  const rep = H / Hkv;
  const D8 = Math.ceil(D / 8) * 8;
  // c: the chunk (its scratch slot); below, c counts columns.
  const QA = a[7] + (c ?? 0) * a[15];
  const [GA, KB, VB, S] = [QA + BK * D, QA + 2 * BK * D, QA + 3 * BK * D, QA + 4 * BK * D];
  const [DP, PA, VN] = [S + BK * BK, S + 2 * BK * BK, S + 3 * BK * BK];
  const PROD = VN + BK * D8;
  const ACC = PROD + BK * D8;
  const [nKB, nQB] = [Math.ceil(Tk / BK), Math.ceil(Tq / BK)];
  const tags = new Float64Array(a[17]).fill(-1);
  for (let u = lo; u < hi; u++) {
    const kb = u % nKB;
    const bk = (u - kb) / nKB;
    const b = Math.floor(bk / Hkv);
    const j0 = kb * BK;
    const kn = Math.min(BK, Tk - j0);
    const ko = (bk * Tk + j0) * D;
    const N8 = attnPack(heap, KB, arr[1], a[1] + ko, kn, D, 8);
    if (gradK) attnPack(heap, VB, arr[2], a[2] + ko, kn, D, 8);
    heap.fill(0, ACC, ACC + kn * D);
    // A block of masked keys gets +0 from every query head (see attnAnyKey).
    const h0 = (bk % Hkv) * rep;
    const h1 = attnAnyKey(arr[3], a[3] + b * Tk + j0, kn) !== 0 ? h0 + rep : h0;
    for (let h = h0; h < h1; h++)
      for (let i0 = Math.max(0, j0 - (Tk - Tq)); i0 < Tq; i0 += BK) {
        const qn = Math.min(BK, Tq - i0);
        const bh = b * H + h;
        const qo = (bh * Tq + i0) * D;
        // q (and dOut) as A and the right operand (q for dK, dOut for dV) as B: cached when the
        // query block is on the block grid (Tq - Tk a multiple of BK), else packed into QA, GA, VN.
        const e = i0 % BK === 0 ? (h - h0) * nQB + i0 / BK : -1;
        const at = attnCached(arr, a, QA, tags, bh, e, qo, qn, gradK ? 4 : 3);
        if (at < 0) {
          attnPack(heap, QA, arr[0], a[0] + qo, qn, D, 4);
          if (gradK) attnPack(heap, GA, arr[4], a[4] + qo, qn, D, 4);
          attnPackCols(heap, VN, arr[gradK ? 0 : 4], a[gradK ? 0 : 4] + qo, qn, D);
        }
        const [qA, gA, rB] = at < 0 ? [QA, GA, VN] : [at, at + BK * D8, at + 2 * BK * D8];
        const M4 = Math.ceil(qn / 4) * 4;
        gemm(4 * qA, 4 * KB, 4 * S, M4, N8, D);
        if (gradK) gemm(4 * gA, 4 * VB, 4 * DP, M4, N8, D);
        attnProbs(arr, a, f, QA, bh, i0, qn, j0, kn, 1, gradK ? 1 : 0);
        gemm(4 * PA, 4 * rB, 4 * PROD, Math.ceil(kn / 4) * 4, D8, qn);
        for (let r = 0; r < kn; r++) for (let c = 0; c < D; c++) heap[ACC + r * D + c] += heap[PROD + r * D8 + c];
      }
    const fac = gradK ? f[0] : 1;
    for (let e = 0; e < kn * D; e++) out[a[6] + ko + e] = fac * heap[ACC + e];
  }
};
