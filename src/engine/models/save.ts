/** A model as Hugging Face files (config.json + F32 model.safetensors), e.g. after merging LoRA. */
import { writeSafetensors } from '../safetensors.ts';
import type { LoadedModel } from './index.ts';

export function modelFiles(
  model: LoadedModel,
  weights: ReadonlyMap<string, Float32Array> = model.weights,
): { 'config.json': string; 'model.safetensors': Uint8Array } {
  const tensors = [...model.shapes].map(([name, shape]) => {
    const data = weights.get(name);
    if (!data) throw new Error(`modelFiles: no weights for "${name}"`);
    return [name, { shape, data }] as [string, { shape: number[]; data: Float32Array }];
  });
  return {
    'config.json': `${JSON.stringify(model.config.raw, null, 2)}\n`,
    'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
  };
}
