/**
 * Training inside the browser worker: 10 JPO steps of a tiny random GPT-2 and Llama, full
 * fine-tuning and LoRA, on the CPU backend and on the worker's WebGPU backend. The worker only
 * reports; test/browser/webgpu-kernels.test.ts compares the runs (the same run and comparison as
 * the Node test, test/gpu/webgpu-training.test.ts, shared through test/gpu/jpo-training-run.ts).
 */
import { CpuBackend } from '../../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../../src/engine/backends/webgpu/index.ts';
import type { HostBatch } from '../../../src/engine/logprobs.ts';
import { parseConfig } from '../../../src/engine/models/config.ts';
import type { LoadedModel } from '../../../src/engine/models/index.ts';
import { randomModel } from '../../../src/engine/models/init.ts';
import { Rng } from '../../../src/engine/random.ts';
import { loraOnEveryLinear, type PreferenceBatch, type TrainRun, trainJpo } from '../../gpu/jpo-training-run.ts';

export const TRAINING_STEPS = 10;

/** A run as it crosses postMessage and page.evaluate (JSON-safe: plain arrays, not typed arrays or maps). */
export interface PlainRun {
  readonly losses: number[];
  readonly gradNorms: number[];
  readonly weights: Record<string, number[]>;
}

export interface TrainingCaseResult {
  readonly name: string;
  readonly cpu?: PlainRun;
  readonly webgpu?: PlainRun;
  /** WebGPU program submissions during the WebGPU run (one per step expected). */
  readonly programRuns: number;
  readonly cpuMs: number;
  readonly webgpuMs: number;
  readonly error?: string;
}

/** The shapes of the parity fixtures (test/fixtures/parity/{gpt2,llama}/config.json): tiny but complete. */
const CONFIGS = {
  gpt2: {
    model_type: 'gpt2',
    vocab_size: 64,
    n_positions: 16,
    n_embd: 16,
    n_layer: 2,
    n_head: 2,
    layer_norm_epsilon: 1e-5,
    tie_word_embeddings: true,
  },
  llama: {
    model_type: 'llama',
    vocab_size: 64,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    attention_bias: false,
    hidden_act: 'silu',
    tie_word_embeddings: false,
  },
} as const;

/**
 * A tiny model with seeded random weights. std 0.1 rather than GPT-2's 0.02, so attention and the
 * logits are far from uniform and every kernel's numbers matter from the first step.
 */
export function tinyModel(arch: keyof typeof CONFIGS, seed = 7): LoadedModel {
  return randomModel(`tiny-${arch}`, parseConfig(CONFIGS[arch], `tiny ${arch} config`), new Rng(seed), 0.1);
}

/**
 * `pairs` preference pairs of random ids, right-padded to T, rows of random length (some padding
 * in most rows), joint label masks (every token after the first, prompt included), and reference
 * log-probs near what a uniform model gives plus noise, so the pairs start with different margins.
 */
export function randomPreferenceBatch(vocab: number, pairs = 3, T = 12, seed = 11): PreferenceBatch {
  const rng = new Rng(seed);
  const B = 2 * pairs;
  const ids = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  const lengths: number[] = [];
  for (let b = 0; b < B; b++) {
    const len = T - rng.int(T / 2);
    lengths.push(len);
    for (let t = 0; t < len; t++) {
      ids[b * T + t] = rng.int(vocab);
      mask[b * T + t] = t > 0 ? 1 : 0;
    }
  }
  const batch: HostBatch = { ids, mask, lengths, B, T };
  const ref = (rows: number[]) =>
    Float32Array.from(rows, (b) => -(lengths[b] - 1) * Math.log(vocab) + 2 * rng.normal());
  const chosen = Array.from({ length: pairs }, (_, i) => i);
  return {
    batch,
    pairs,
    refChosen: ref(chosen),
    refRejected: ref(chosen.map((i) => i + pairs)),
  };
}

function plain(run: TrainRun): PlainRun {
  return {
    losses: run.losses,
    gradNorms: run.gradNorms,
    weights: Object.fromEntries([...run.weights].map(([k, v]) => [k, Array.from(v)])),
  };
}

/** Every (architecture, full | LoRA) run on both backends; a failure is reported per case, never thrown. */
export async function runTrainingCases(gpu: WebGPUBackend): Promise<TrainingCaseResult[]> {
  const results: TrainingCaseResult[] = [];
  for (const arch of ['gpt2', 'llama'] as const) {
    const model = tinyModel(arch);
    const data = randomPreferenceBatch(model.config.vocabSize);
    for (const mode of ['full', 'lora'] as const) {
      const name = `${arch} ${mode}`;
      const lora = mode === 'lora' ? loraOnEveryLinear(model) : undefined;
      let cpuMs = 0;
      let webgpuMs = 0;
      let programRuns = 0;
      try {
        let t0 = performance.now();
        const cpu = await trainJpo(new CpuBackend(), model, lora, data, TRAINING_STEPS);
        cpuMs = performance.now() - t0;
        const before = gpu.counters.programRuns;
        t0 = performance.now();
        const webgpu = await trainJpo(gpu, model, lora, data, TRAINING_STEPS);
        webgpuMs = performance.now() - t0;
        programRuns = gpu.counters.programRuns - before;
        results.push({ name, cpu: plain(cpu), webgpu: plain(webgpu), programRuns, cpuMs, webgpuMs });
      } catch (e) {
        const error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
        results.push({ name, programRuns, cpuMs, webgpuMs, error });
      }
    }
  }
  return results;
}
