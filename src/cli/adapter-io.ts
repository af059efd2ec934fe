/**
 * `--adapter DIR` for `logps` and `loss`: a PEFT LoRA adapter folder (adapter_config.json +
 * adapter_model.safetensors, as `orchard train` and PEFT write them) merged into the base model's
 * weights by PEFT's rule, W + (alpha / r) B A (transposed for GPT-2's Conv1D, fan_in_fan_out), so the
 * commands score the adapted model exactly as PEFT's merge_and_unload() would.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAdapter, loraParamNames, mergeLora, selectTargets } from '../engine/lora.ts';
import type { LoadedModel } from '../engine/models/index.ts';
import { findNonFinite } from '../engine/safetensors.ts';
import { checkModelDir } from './preference-io.ts';

/** The model's weights with the adapter in `dir` merged in (a new map; the model's own weights are untouched). */
export async function mergedAdapterWeights(model: LoadedModel, dir: string): Promise<Map<string, Float32Array>> {
  await checkModelDir(dir, '--adapter', 'a PEFT adapter folder (adapter_config.json, adapter_model.safetensors)');
  const read = async (name: string) =>
    readFile(join(dir, name)).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'is missing' : `cannot be read (${err.message})`;
      throw new Error(
        `--adapter ${dir}: ${name} ${why}; a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors`,
      );
    });
  const [config, safetensors] = await Promise.all([read('adapter_config.json'), read('adapter_model.safetensors')]);
  const adapter = loadAdapter({ config: config.toString('utf8'), safetensors: new Uint8Array(safetensors) });
  const targets = selectTargets(model.linearModules(), adapter.config);
  const expected = new Set(targets.flatMap((t) => Object.values(loraParamNames(t.module))));
  for (const [name, data] of adapter.weights) {
    if (!expected.has(name)) {
      throw new Error(
        `--adapter ${dir}: adapter_model.safetensors has "${name}", which target_modules ${JSON.stringify(adapter.config.targetModules)} does not select in this ${model.config.modelType} model; is it the adapter of another base model?`,
      );
    }
    const bad = findNonFinite(data);
    if (bad)
      throw new Error(`--adapter ${dir}: tensor "${name}" has NaN or infinite values (first at index ${bad.first})`);
  }
  for (const name of expected) {
    if (!adapter.weights.has(name))
      throw new Error(`--adapter ${dir}: adapter_model.safetensors has no tensor "${name}"`);
  }
  return mergeLora(model.weights, targets, adapter.config, adapter.weights);
}
