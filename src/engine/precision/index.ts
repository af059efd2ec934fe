/**
 * Weight precision. Under 'f16-weights' every FROZEN param (trainable false: all base weights under
 * LoRA) is rounded to f16 when it is loaded, while trainable params keep f32 (the f32 master copy
 * AdamW updates). Where the backend can hold f16 (WebGPU with the adapter's `shader-f16`), frozen
 * params are stored as f16, 2 bytes an element, and kernels read them through f16 accessors that
 * widen to f32, so every product still accumulates in f32. Elsewhere (the CPU backend, adapters
 * without `shader-f16`) the rounding is EMULATED: the same f16 values, stored as f32, so the f16
 * path's numerics are exercised (and tested) on every machine; the run says so (`precisionNote`).
 */
import type { Backend } from '../backend.ts';

export const PRECISIONS = ['f32', 'f16-weights'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** How one param is held: plain f32, f16 on the device, or f16 values held as f32 (emulation). */
export type ParamStorage = 'f32' | 'f16' | 'f16-emulated';

/** Whether this backend stores f16 tensors itself (WebGPU with `shader-f16`). */
export function storesHalf(backend: Pick<Backend, 'allocHalf'>): boolean {
  return typeof backend.allocHalf === 'function';
}

/** How a param with this trainability is held under `precision` on `backend`. */
export function paramStorage(
  precision: Precision,
  trainable: boolean,
  backend: Pick<Backend, 'allocHalf'>,
): ParamStorage {
  if (precision === 'f32' || trainable) return 'f32';
  return storesHalf(backend) ? 'f16' : 'f16-emulated';
}

/**
 * What a run reports about its precision: null for f32; under 'f16-weights', whether the frozen
 * weights are really stored as f16 or only rounded to f16 values and held as f32 (and why).
 */
export function precisionNote(precision: Precision, backend: Pick<Backend, 'name' | 'allocHalf'>): string | null {
  if (precision === 'f32') return null;
  if (storesHalf(backend)) {
    return 'precision f16-weights: frozen weights stored as f16 on the GPU (shader-f16), read with f32 accumulation; trainable params stay f32';
  }
  const why =
    backend.name === 'cpu' ? 'the CPU backend has no f16 storage' : "this WebGPU adapter does not offer 'shader-f16'";
  return (
    `precision f16-weights is EMULATED: ${why}, so frozen weights are rounded to f16 values but stored as f32 ` +
    '(same numerics as f16 weights, no memory saved); trainable params stay f32'
  );
}
