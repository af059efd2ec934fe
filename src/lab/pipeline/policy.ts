/**
 * The policy being trained: one ParamStore holding the base weights and (under LoRA) the adapters,
 * shared by every compiled graph of the experiment (train steps, generation). Every run starts
 * from the same initial values (`reset()`), so runs are compared from identical weights.
 *
 * LoRA targets: the spec names projections (q, k, v, o, gate, up, down); GPT-2 fuses q, k and v
 * into one c_attn layer, so any of them selects c_attn there (as PEFT users target "c_attn"),
 * o is attn.c_proj, up is mlp.c_fc, down is mlp.c_proj, and gate does not exist.
 */
import {
  type AdapterFiles,
  type Backend,
  type BuildOptions,
  checkF16Range,
  initLoraWeights,
  type LoadedModel,
  type LoraConfig,
  type LoraTarget,
  mergeLora,
  modelFiles,
  modelFromWeights,
  ParamStore,
  type Precision,
  precisionNote,
  Rng,
  saveAdapter,
  selectTargets,
} from '../../engine/index.ts';
import { AUTO_KERNELS, type KernelChoice, kernelNote } from '../spec/kernels.ts';
import type { LoraModule, LoraSpec } from '../spec.ts';
import { checkPolicyFits, type StepSize } from './fits.ts';

const GPT2_MODULES: Record<LoraModule, string | null> = {
  q: 'attn.c_attn',
  k: 'attn.c_attn',
  v: 'attn.c_attn',
  o: 'attn.c_proj',
  gate: null,
  up: 'mlp.c_fc',
  down: 'mlp.c_proj',
};
const LLAMA_MODULES: Record<LoraModule, string> = {
  q: 'q_proj',
  k: 'k_proj',
  v: 'v_proj',
  o: 'o_proj',
  gate: 'gate_proj',
  up: 'up_proj',
  down: 'down_proj',
};

/** PEFT target_modules for the spec's projection names on this architecture, and what could not be mapped. */
export function loraTargetModules(
  arch: 'gpt2' | 'llama',
  modules: readonly LoraModule[],
): { targets: string[]; notes: string[] } {
  const notes: string[] = [];
  const out = new Set<string>();
  for (const m of modules) {
    const name = arch === 'gpt2' ? GPT2_MODULES[m] : LLAMA_MODULES[m];
    if (name === null) notes.push(`GPT-2 has no "${m}" projection; lora.targetModules entry "${m}" is ignored`);
    else out.add(name);
  }
  if (arch === 'gpt2') {
    const qkv = modules.filter((m) => m === 'q' || m === 'k' || m === 'v');
    if (qkv.length > 0 && qkv.length < 3) {
      notes.push(`GPT-2 fuses q, k and v into c_attn; targeting ${qkv.join(', ')} adapts all three`);
    }
  }
  if (out.size === 0) {
    throw new Error(
      `lora.targetModules ${JSON.stringify(modules)} select no layer of this ${arch} model; use e.g. ["q", "k", "v"]`,
    );
  }
  return { targets: [...out], notes };
}

export class Policy {
  readonly store: ParamStore;
  readonly trainable: string[];
  readonly lora: LoraConfig | null;
  readonly targets: LoraTarget[];
  readonly notes: string[];
  private model_: LoadedModel;
  private initial: Map<string, Float32Array>;

  /**
   * `step`: the largest step the plan feeds; given, a model that cannot fit is refused before any upload.
   * `precision` 'f16-weights': the frozen base weights are rounded to f16 (engine/precision).
   * `kernels`: the spec's attention and LM head choices, built into every graph of this policy.
   */
  constructor(
    model: LoadedModel,
    loraSpec: LoraSpec,
    seed: number,
    backend: Backend,
    step?: StepSize,
    readonly precision: Precision = 'f32',
    readonly kernels: KernelChoice = AUTO_KERNELS,
  ) {
    this.model_ = model;
    if (loraSpec.enabled) {
      const { targets, notes } = loraTargetModules(model.arch, loraSpec.targetModules);
      this.notes = notes;
      this.lora = { r: loraSpec.r, alpha: loraSpec.alpha, targetModules: targets, dropout: loraSpec.dropout ?? 0 };
      this.targets = selectTargets(model.linearModules(), this.lora);
    } else {
      this.notes = [];
      this.lora = null;
      this.targets = [];
    }
    if (step) checkPolicyFits(model, this.lora, this.targets, step, backend, precision, kernels);
    // Every frozen weight must fit f16's range: refused here, before any upload, naming the tensor.
    if (precision === 'f16-weights' && this.lora) for (const [name, w] of model.weights) checkF16Range(name, w);
    const note = precisionNote(precision, backend);
    if (note) this.notes.push(this.lora ? note : `${note}; full fine-tuning trains every weight, so none is rounded`);
    const forcedKernels = kernelNote(kernels);
    if (forcedKernels) this.notes.push(forcedKernels);
    this.store = new ParamStore(backend, { precision });
    for (const [name, w] of model.weights) {
      this.store.add(name, model.shapes.get(name) as number[], w, !this.lora);
    }
    if (this.lora) {
      this.initial = initLoraWeights(this.targets, this.lora, new Rng(seed));
      for (const [name, w] of this.initial) {
        const shape = name.endsWith('lora_A.weight')
          ? [this.lora.r, w.length / this.lora.r]
          : [w.length / this.lora.r, this.lora.r];
        this.store.add(name, shape, w, true);
      }
    } else {
      this.initial = new Map([...model.weights].map(([k, v]) => [k, Float32Array.from(v)]));
    }
    this.trainable = [...this.initial.keys()];
  }

  get model(): LoadedModel {
    return this.model_;
  }

  /** What every graph of this policy is built with: its adapters and the spec's kernels. */
  get build(): BuildOptions {
    return this.lora ? { lora: this.lora, ...this.kernels } : { ...this.kernels };
  }

  /** Puts the initial values back into every trainable param. */
  reset(): void {
    for (const [name, w] of this.initial) this.store.set(name, w);
  }

  /** Current values of the trainable params (the adapters under LoRA). */
  async readTrainable(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const name of this.trainable) out.set(name, await this.store.read(name));
    return out;
  }

  loadTrainable(weights: ReadonlyMap<string, Float32Array>): void {
    for (const name of this.trainable) {
      const w = weights.get(name);
      if (!w) throw new Error(`Policy: no value for trainable param "${name}"`);
      this.store.set(name, w);
    }
  }

  /** Every param the scorer needs: base weights plus the given (or initial) trainable values. */
  fullWeights(trainable: ReadonlyMap<string, Float32Array> = this.initial): Map<string, Float32Array> {
    return new Map([...this.model_.weights, ...trainable]);
  }

  /**
   * Folds the current trainable values into the base (after SFT): the merged weights become the
   * model, the store's base, and the new starting point; LoRA adapters start fresh again.
   */
  async rebase(seed: number): Promise<void> {
    const trained = await this.readTrainable();
    const merged = this.lora ? mergeLora(this.model_.weights, this.targets, this.lora, trained) : trained;
    this.model_ = modelFromWeights(this.model_.name, this.model_.config, merged);
    for (const [name, w] of this.model_.weights) this.store.set(name, w);
    this.initial = this.lora
      ? initLoraWeights(this.targets, this.lora, new Rng(seed))
      : new Map([...merged].map(([k, v]) => [k, Float32Array.from(v)]));
    this.reset();
  }

  /** What to save for a trained run: PEFT adapter files under LoRA, else a Hugging Face model folder. */
  files(trained: ReadonlyMap<string, Float32Array>, baseName: string): Record<string, Uint8Array | string> {
    if (this.lora) {
      const adapter: AdapterFiles = saveAdapter(this.lora, this.targets, trained, baseName);
      return { ...adapter };
    }
    return { ...modelFiles(this.model_, this.fullWeights(trained)) };
  }

  dispose(): void {
    this.store.dispose();
  }
}
