/**
 * A trained result as something that can generate: a base model plus PEFT adapter files, or a full
 * model's weights, placed in a ParamStore with the build options its graphs need. Used to evaluate
 * what `orchard train` saved (`orchard eval --model DIR`).
 */
import {
  type Backend,
  Generator,
  type LoadedModel,
  type LoraConfig,
  loadAdapter,
  loraParamNames,
  ParamStore,
  type Precision,
  selectTargets,
} from '../../engine/index.ts';
import { AUTO_KERNELS, type KernelChoice } from '../spec/kernels.ts';

export interface Generating {
  generator: Generator;
  dispose(): void;
}

/**
 * A generator over `model`'s weights, with `adapter` (PEFT files) applied on top when given, built
 * with the spec's kernels (as the training run's generation was). `basePrecision` is how `model`'s
 * weights are held: 'f16-weights' rounds them to f16, as a LoRA policy's store rounds its frozen
 * base (pipeline/policy.ts). The adapters were trained, so they are always kept f32, as in training.
 */
export function generatorFor(
  model: LoadedModel,
  backend: Backend,
  adapter?: { config: string; safetensors: Uint8Array },
  kernels: KernelChoice = AUTO_KERNELS,
  basePrecision: Precision = 'f32',
): Generating {
  const store = new ParamStore(backend, { precision: basePrecision });
  try {
    return withGenerator(model, store, adapter, kernels);
  } catch (e) {
    // A weight out of f16 range or a missing adapter tensor: free what was uploaded so far.
    store.dispose();
    throw e;
  }
}

function withGenerator(
  model: LoadedModel,
  store: ParamStore,
  adapter: { config: string; safetensors: Uint8Array } | undefined,
  kernels: KernelChoice,
): Generating {
  for (const [name, w] of model.weights) store.add(name, model.shapes.get(name) as number[], w, false);
  let lora: LoraConfig | undefined;
  if (adapter) {
    const loaded = loadAdapter(adapter);
    lora = loaded.config;
    for (const t of selectTargets(model.linearModules(), lora)) {
      for (const [suffix, shape] of [
        ['A', [lora.r, t.inFeatures]],
        ['B', [t.outFeatures, lora.r]],
      ] as const) {
        const name = loraParamNames(t.module)[suffix];
        const w = loaded.weights.get(name);
        if (!w) throw new Error(`adapter_model.safetensors has no tensor "${name}" for target ${t.module}`);
        // Added as trainable: the store's precision never rounds them (engine/precision).
        store.add(name, [...shape], w, true);
      }
    }
  }
  const generator = new Generator(model, store, { build: { ...(lora ? { lora } : {}), ...kernels } });
  return {
    generator,
    dispose() {
      generator.dispose();
      store.dispose();
    },
  };
}
