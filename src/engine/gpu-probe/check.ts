/**
 * The probe's correctness check: run the WGSL matmul on random inputs and compare it with a
 * float64 JS reference, element by element.
 */
import { Rng } from '../random.ts';
import { gpuMatmul, type MatmulShape } from './matmul.ts';

/** Non-square, odd, and not a multiple of the 8×8 tile in any dimension: catches indexing and edge bugs. */
export const PROBE_SHAPE: MatmulShape = { m: 37, k: 53, n: 29 };

/**
 * f32 accumulation of K products differs from the float64 sum by at most about K·2⁻²⁴ times the
 * sum of |products|; 1e-5 of that sum is a few times above it for K ≤ 100 yet far below the O(1)
 * errors a wrong index or a missed tile produces.
 */
export const RELATIVE_TOLERANCE = 1e-5;

export interface MatmulCheck {
  shape: MatmulShape;
  seed: number;
  /** Largest |gpu − reference| over all elements. */
  maxAbsError: number;
  /** Largest |gpu − reference| / (Σ_k |a·b| + 1e-30); must stay ≤ RELATIVE_TOLERANCE. */
  maxScaledError: number;
  tolerance: number;
  passed: boolean;
  /** Wall time of the GPU run including compile, upload and readback. */
  gpuMs: number;
  /** Set when the shader could not run at all. */
  error?: string;
}

/** C = A·B in float64, plus Σ_k |A_ik·B_kj| per element (the error scale). */
export function referenceMatmul(
  a: Float32Array,
  b: Float32Array,
  { m, k, n }: MatmulShape,
): { c: Float64Array; scale: Float64Array } {
  const c = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const prod = a[i * k + p] * b[p * n + j];
        sum += prod;
        abs += Math.abs(prod);
      }
      c[i * n + j] = sum;
      scale[i * n + j] = abs;
    }
  }
  return { c, scale };
}

export async function checkMatmul(device: GPUDevice, shape: MatmulShape = PROBE_SHAPE, seed = 1): Promise<MatmulCheck> {
  const rng = new Rng(seed);
  const a = rng.normals(shape.m * shape.k);
  const b = rng.normals(shape.k * shape.n);
  const base = { shape, seed, tolerance: RELATIVE_TOLERANCE };
  const t0 = performance.now();
  let gpu: Float32Array;
  try {
    gpu = await gpuMatmul(device, a, b, shape);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { ...base, maxAbsError: Number.NaN, maxScaledError: Number.NaN, passed: false, gpuMs: 0, error };
  }
  const gpuMs = Math.round((performance.now() - t0) * 10) / 10;

  const ref = referenceMatmul(a, b, shape);
  let maxAbsError = 0;
  let maxScaledError = 0;
  for (let i = 0; i < gpu.length; i++) {
    const err = Math.abs(gpu[i] - ref.c[i]);
    // NaN must fail the check, so compare with `!(x <= y)` rather than `x > y`.
    if (!(err <= maxAbsError)) maxAbsError = err;
    const scaled = err / (ref.scale[i] + 1e-30);
    if (!(scaled <= maxScaledError)) maxScaledError = scaled;
  }
  return { ...base, maxAbsError, maxScaledError, passed: maxScaledError <= RELATIVE_TOLERANCE, gpuMs };
}
