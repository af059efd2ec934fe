/**
 * The benchmark's workloads, shared by the Node runner and the browser page so both sides time
 * exactly the same training step: (a) a ~1M-parameter GPT-2, full fine-tuning; (b) a
 * GPT-2-small-shaped model with LoRA r=8 on c_attn at batch 8 x 128 (real GPUs only); (c, d)
 * SmolLM2-135M- and Qwen2.5-0.5B-shaped models with LoRA r=8 on q_proj,v_proj (Node only, run when
 * named in --cases; their analytic memory is printed on every run, see llm-memory.ts).
 */
import type { LoraConfig } from '../src/engine/lora.ts';
import type { AdamWHyper } from '../src/engine/optim/adamw.ts';
import { ADAMW_DEFAULTS } from '../src/engine/optim/adamw.ts';

export type CaseId = 'tiny' | 'gpt2-small-lora' | 'smollm2-135m-lora' | 'qwen2.5-0.5b-lora';

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
  /**
   * Only on a real GPU: a fallback (software) adapter would take hours. 'webgpu': only the WebGPU
   * engines need one (the CPU backend runs the case anywhere, slowly).
   */
  needsRealGpu: boolean | 'webgpu';
  /** The engines that implement this case (default: all); the others are skipped with the reason. */
  engines?: { only: readonly EngineId[]; why: string };
  /** Runs in Node only (the browser page would have to hold the weights twice over in one tab). */
  nodeOnly?: boolean;
  /** Runs only when named in `--cases` (too slow for every bench run), with the reason printed. */
  explicitOnly?: string;
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

/** A Llama-family LoRA case: random weights, r=8 on q_proj and v_proj, DPO; Node only, run when named. */
function llamaLora(
  id: CaseId,
  title: string,
  config: Record<string, unknown>,
  pairs: number,
  T: number,
  seed: number,
): BenchCase {
  return {
    id,
    title,
    config,
    pairs,
    T,
    promptLen: T / 4,
    lora: { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'] },
    needsRealGpu: 'webgpu',
    engines: { only: ['orchard-cpu', 'orchard-webgpu'], why: "TF.js's step (bench/tfjs) builds GPT-2 only" },
    nodeOnly: true,
    explicitOnly: 'minutes per step on the CPU backend',
    steps: { gpu: { warmup: 2, timed: 5 }, cpu: { warmup: 0, timed: 1 }, slow: { warmup: 0, timed: 1 } },
    timeoutMs: 3_600_000,
    seed,
  };
}

/** The published configs' sizes (Hugging Face config.json fields); the weights are random. */
export const SMOLLM2_135M_CONFIG = {
  model_type: 'llama',
  hidden_size: 576,
  num_hidden_layers: 30,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  intermediate_size: 1536,
  vocab_size: 49152,
  max_position_embeddings: 8192,
  rms_norm_eps: 1e-5,
  rope_theta: 100000,
  tie_word_embeddings: true,
};

export const QWEN25_05B_CONFIG = {
  model_type: 'qwen2',
  hidden_size: 896,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  intermediate_size: 4864,
  vocab_size: 151936,
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  use_sliding_window: false,
};

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
  'smollm2-135m-lora': llamaLora(
    'smollm2-135m-lora',
    'SmolLM2-135M shape (hidden 576, 30 layers, 9/3 heads, vocab 49152, tied), LoRA r=8 on q_proj,v_proj, batch 8 x 128',
    SMOLLM2_135M_CONFIG,
    4,
    128,
    13,
  ),
  'qwen2.5-0.5b-lora': llamaLora(
    'qwen2.5-0.5b-lora',
    'Qwen2.5-0.5B shape (hidden 896, 24 layers, 14/2 heads, vocab 151936, tied, q/k/v biases), LoRA r=8 on q_proj,v_proj, batch 4 x 256',
    QWEN25_05B_CONFIG,
    2,
    256,
    14,
  ),
};

/** The cases `npm run bench` runs when no `--cases` is given. */
export const DEFAULT_CASES: readonly CaseId[] = (Object.keys(CASES) as CaseId[]).filter(
  (id) => !CASES[id].explicitOnly,
);

export function stepsFor(c: BenchCase, engine: EngineId, fallbackAdapter: boolean): StepCounts {
  if (engine.endsWith('webgpu')) return fallbackAdapter ? c.steps.slow : c.steps.gpu;
  return engine === 'tfjs-cpu' ? c.steps.slow : c.steps.cpu;
}

export const tokensPerStep = (c: BenchCase): number => 2 * c.pairs * c.T;
