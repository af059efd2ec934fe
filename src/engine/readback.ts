/**
 * The one place results come back from the device. Keeping reads here lets a backend with
 * asynchronous staging (WebGPU) batch them without the sessions knowing.
 */
import type { Backend, TensorView } from './backend.ts';
import { numel } from './ops.ts';

export async function readViews(backend: Backend, views: readonly TensorView[]): Promise<Float32Array[]> {
  const pending = views.map((v) => {
    if (v.dtype !== 'f32') throw new Error(`readViews: only f32 results can be read, got a ${v.dtype} view`);
    return backend.read(v.tensor, numel(v.shape));
  });
  return (await Promise.all(pending)) as Float32Array[];
}
