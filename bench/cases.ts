/**
 * The benchmark's workloads, shared by the Node runner and the browser page so both sides time
 * exactly the same training step: (a) a ~1M-parameter GPT-2, full fine-tuning; (b) a
 * GPT-2-small-shaped model with LoRA r=8 on c_attn at batch 8 x 128 (real GPUs only).
 */
import type { LoraConfig } from '../src/engine/lora.ts';
import type { AdamWHyper } from '../src/engine/optim/adamw.ts';
import { ADAMW_DEFAULTS } from '../src/engine/optim/adamw.ts';

export type CaseId = 'tiny' | 'gpt2-small-lora';

/** Who computes the step: Orchard's two backends and TF.js's three. */
export type EngineId = 'orchard-webgpu' | 'orchard-cpu' | 'tfjs-webgpu' | 'tfjs-wasm' | 'tfjs-cpu';
export const ENGINES: readonly EngineId[] = ['orchard-webgpu', 'orchard-cpu', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'];

export interface StepCounts {
  /** Untimed steps (pipeline compilation, JIT, allocator warm-up). */
  warmup: number;
  /** Timed steps; the reported step time is their median. */
  timed: number;
}

export interface BenchCase {
  id: CaseId;
  title: string;
  /** A Hugging Face GPT-2 config.json. */
  config: Record<string, unknown>;
  /** Preference pairs per step: the batch is 2 * pairs sequences (chosen rows, then rejected). */
  pairs: number;
  /** Padded sequence length. */
  T: number;
  /** Leading tokens of every row that are prompt (not scored by DPO). */
  promptLen: number;
  /** LoRA adapters (only they train); full fine-tuning when absent. */
  lora?: LoraConfig;
  /** Only on a real GPU: a fallback (software) adapter would take hours. */
  needsRealGpu: boolean;
  /**
   * Steps by engine speed: `gpu` for WebGPU on a real GPU, `cpu` for Orchard's CPU backend and
   * TF.js wasm, `slow` for WebGPU on a software adapter and TF.js's plain-JS cpu backend.
   */
  steps: { gpu: StepCounts; cpu: StepCounts; slow: StepCounts };
  /** Engines left out unless `npm run bench -- --all`, with the reason printed. */
  optIn?: Partial<Record<EngineId, string>>;
  /** Longest one engine's run may take before it is reported as an error. */
  timeoutMs: number;
  seed: number;
}

/** DPO's β and the optimizer, identical for every engine. */
export const DPO_BETA = 0.1;
export const HYPER: AdamWHyper = { ...ADAMW_DEFAULTS, lr: 1e-4, weightDecay: 0.01 };

export const CASES: Readonly<Record<CaseId, BenchCase>> = {
  tiny: {
    id: 'tiny',
    title: '~1M-param GPT-2 (n_embd 128, 4 layers, 4 heads, vocab 1024), full FT, batch 8 x 64',
    config: { model_type: 'gpt2', vocab_size: 1024, n_positions: 64, n_embd: 128, n_layer: 4, n_head: 4 },
    pairs: 4,
    T: 64,
    promptLen: 16,
    needsRealGpu: false,
    // Software adapters and plain-JS TF.js take seconds per step: few steps keep the bench within minutes.
    steps: { gpu: { warmup: 3, timed: 10 }, cpu: { warmup: 2, timed: 5 }, slow: { warmup: 1, timed: 2 } },
    timeoutMs: 300_000,
    seed: 11,
  },
  'gpt2-small-lora': {
    id: 'gpt2-small-lora',
    title: 'GPT-2-small shape (n_embd 768, 12 layers, 12 heads, vocab 50257), LoRA r=8 on c_attn, batch 8 x 128',
    config: { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 },
    pairs: 4,
    T: 128,
    promptLen: 32,
    lora: { r: 8, alpha: 16, targetModules: ['c_attn'] },
    needsRealGpu: true,
    steps: { gpu: { warmup: 3, timed: 10 }, cpu: { warmup: 0, timed: 1 }, slow: { warmup: 0, timed: 1 } },
    optIn: { 'tfjs-cpu': "TF.js's plain-JS cpu backend needs tens of minutes per GPT-2-small step" },
    timeoutMs: 900_000,
    seed: 12,
  },
};

export function stepsFor(c: BenchCase, engine: EngineId, fallbackAdapter: boolean): StepCounts {
  if (engine.endsWith('webgpu')) return fallbackAdapter ? c.steps.slow : c.steps.gpu;
  return engine === 'tfjs-cpu' ? c.steps.slow : c.steps.cpu;
}

export const tokensPerStep = (c: BenchCase): number => 2 * c.pairs * c.T;
