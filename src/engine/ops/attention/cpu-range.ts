/**
 * Binds a fused attention launch to its range kernel (backends/cpu/threads/ranges/attention.ts)
 * where the backend runs the WebAssembly SIMD gemm: split over the pool's threads when every
 * operand lives in its shared memory (each chunk in its own scratch slot there, each helper on its
 * own instance of the gemm), else on the calling thread with a gemm instance of its own. Both give
 * the numbers of the reference loops in cpu.ts run through the SIMD gemm, bit for bit.
 */
import { type KernelContext, type MatmulThreads, sharedOffset } from '../../backends/cpu/kernel-kit.ts';
import type { ArrayView } from '../../backends/cpu/tensor.ts';
import { CHUNKS_PER_THREAD } from '../../backends/cpu/threads/pool-options.ts';
import { rangeId } from '../../backends/cpu/threads/ranges/index.ts';
import { OPERAND_KIND, type RangeGemm, type RangeKernel } from '../../backends/cpu/threads/ranges/types.ts';
import { gemmModule } from '../../backends/cpu/wasm-gemm.ts';
import { type AttentionDims, EMPTY_ROW_LSE } from './index.ts';

const PAGE = 65536;

/** Floats a slot's cache of packed key blocks may take (threads/ranges/attention.ts attnCached): 1 MiB. */
const CACHE_FLOATS = 1 << 18;

/**
 * Blocks a kernel's slot caches packed, up to CACHE_FLOATS: a kv head's key blocks (query-block
 * kernels), or its query heads' query blocks (dK/dV).
 */
function cacheBlocks(d: AttentionDims, BK: number, byKeys: boolean): number {
  const blocks = byKeys ? d.rep * Math.ceil(d.Tq / BK) : Math.ceil(d.Tk / BK);
  return Math.min(blocks, Math.floor(CACHE_FLOATS / (3 * BK * Math.ceil(d.D / 8) * 8)));
}

/** Floats of one kernel's scratch slot (its layout: threads/ranges/attention.ts), whole 64-byte lines. */
function attnSlotFloats(D: number, BK: number, cached: number): number {
  const D8 = Math.ceil(D / 8) * 8;
  return Math.ceil((5 * BK * D + 3 * BK * BK + 2 * BK * D8 + 3 * cached * BK * D8) / 16) * 16;
}

/** The calling thread's gemm instance and its private memory, shared by every launch it runs. */
let local: { memory: WebAssembly.Memory; gemm: RangeGemm; heap: Float32Array } | null = null;

/**
 * Each pool's scratch block for these kernels (byte offset, bytes), kept between runs and grown
 * when a launch needs more, as the pool keeps its gemm's: allocating one per run zero-fills
 * megabytes (a slot per chunk, CHUNKS_PER_THREAD chunks per thread), which on many threads costs
 * more than a short launch's work. Runs are one at a time on the calling thread, and every slot is
 * written before it is read, so the block is never cleared.
 */
const poolScratch = new WeakMap<MatmulThreads, { at: number; bytes: number }>();

/** The pool's scratch block of at least `bytes` (byte offset), or null when its memory is full. */
function scratchFor(pool: MatmulThreads, bytes: number): number | null {
  const have = poolScratch.get(pool);
  if (have && have.bytes >= bytes) return have.at;
  if (have) pool.freeScratch(have.at);
  poolScratch.delete(pool);
  const at = pool.allocScratch(bytes);
  if (at !== null) poolScratch.set(pool, { at, bytes });
  return at;
}

/** The local gemm with at least `floats` of scratch at element 0 of its heap. */
function localGemm(floats: number): { gemm: RangeGemm; heap: Float32Array } {
  if (!local) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(gemmModule()), {});
    const memory = instance.exports.mem as WebAssembly.Memory;
    local = { memory, gemm: instance.exports.gemm as RangeGemm, heap: new Float32Array(memory.buffer) };
  }
  const have = local.memory.buffer.byteLength;
  if (4 * floats > have) {
    local.memory.grow(Math.ceil((4 * floats - have) / PAGE));
    local.heap = new Float32Array(local.memory.buffer);
  }
  return local;
}

/**
 * The launch's closure: `views` [q, k, v, mask, dOut, aux, out] (kernel operand order, an unused
 * one repeating another), `units` of the kernel (query or key blocks of every head), each about
 * `unitCost` ns of work; `variant` the kernel's (threads/ranges/attention.ts); `byKeys` for the
 * dK/dV kernel (its units are key blocks).
 */
export function bindAttentionRange(
  ctx: KernelContext,
  kernel: RangeKernel,
  views: readonly ArrayView[],
  d: AttentionDims,
  block: number,
  scale: number,
  units: number,
  unitCost: number,
  variant = 0,
  byKeys = false,
): () => void {
  const cached = cacheBlocks(d, block, byKeys);
  const slot = attnSlotFloats(d.D, block, cached);
  const attrs = [d.B, d.H, d.Hkv, d.Tq, d.Tk, d.D, block, slot, variant, cached];
  const floats = Float64Array.of(scale, EMPTY_ROW_LSE);
  const data = views.map((v) => v.data);
  const localInts = Int32Array.from([...views.map(() => 0), 0, ...attrs]);
  const runLocal = () => {
    const g = localGemm(slot);
    kernel([...data, g.heap], localInts, floats, 0, units, g.gemm, 0);
  };
  const pool = ctx.threads;
  const offsets = views.map((v) => sharedOffset(ctx, v));
  if (!pool || units < 2 || units * unitCost < pool.minRangeWork || offsets.some((o) => o === undefined)) {
    return runLocal;
  }
  const id = rangeId(kernel);
  const kinds = new Int32Array(views.length + 1).fill(OPERAND_KIND.f32);
  const ints = Int32Array.from([...(offsets as number[]), 0, ...attrs]);
  const scratchAt = views.length;
  return () => {
    // One slot per chunk a job can have (gemm-pool.ts tryRange: at most CHUNKS_PER_THREAD per
    // thread, and no more than units), so concurrent chunks never share one.
    const bytes = 4 * slot * Math.min(CHUNKS_PER_THREAD * pool.threads, units);
    const at = scratchFor(pool, bytes);
    if (at === null) return runLocal();
    ints[scratchAt] = at / 4;
    if (!pool.tryRange(id, kinds, ints, floats, units, 1)) runLocal();
  };
}
