/**
 * What a range kernel is: a function that computes units [lo, hi) of one launch's output (elements,
 * rows or columns, as the kernel says) from typed arrays and element offsets. The calling thread
 * runs it over all units when single-threaded; the thread pool splits the units over its threads,
 * each thread reading and writing the pool's shared memory. A unit's numbers never depend on which
 * thread computes it, so results are bit-identical for any thread count.
 */

/** An operand's typed array: f32 and i32 tensors, f64 scratch. */
export type RangeArray = Float32Array | Int32Array | Float64Array;

/** The SIMD gemm's export on the memory a kernel's scratch lives in (gemm-share.ts GemmExport). */
export type RangeGemm = (aPtr: number, bPtr: number, cPtr: number, m4: number, n8: number, k: number) => void;

/**
 * (operand arrays, ints: operand element offsets then integer attributes, floats: float
 * attributes, first unit, end unit, the gemm and the chunk's index for kernels that run block
 * products in a per-chunk scratch (ranges/attention.ts)). Must be self-contained (no imports, no
 * module-level names): helper threads run its source text.
 */
export type RangeKernel = (
  arr: RangeArray[],
  a: Int32Array,
  f: Float64Array,
  lo: number,
  hi: number,
  gemm?: RangeGemm,
  chunk?: number,
) => void;

/** How an operand is viewed in the shared memory (its offset counts elements of this type). */
export const OPERAND_KIND = { f32: 0, i32: 1, f64: 2 } as const;
