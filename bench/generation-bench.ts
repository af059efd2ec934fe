/**
 * Batched KV-cache generation, the lab's sampling stage (pipeline/generation.ts: one generate()
 * call per batch of prompts, greedy decoding by default): the bundled orchard-tiny model answers 8
 * prompts of 16 tokens with 48 new tokens each (no stop id, so every row runs the full 48), on a
 * given backend. One untimed call compiles the prefill and decode programs for the shape; then the
 * median of a few timed calls. tokens/s counts new tokens only.
 */
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { createWebGPUBackend } from '../src/engine/backends/webgpu/index.ts';
import { getNodeGPU } from '../src/engine/backends/webgpu/node-gpu.ts';
import { Generator } from '../src/engine/generate.ts';
import { dirFiles } from '../src/engine/models/files-node.ts';
import { loadModel } from '../src/engine/models/index.ts';
import { ParamStore } from '../src/engine/params.ts';
import { Rng } from '../src/engine/random.ts';
import { type AdapterInfo, median } from './result.ts';

export const GENERATION = { prompts: 8, promptTokens: 16, newTokens: 48, seed: 21 } as const;
const MODEL_DIR = fileURLToPath(new URL('../public/models/orchard-tiny', import.meta.url));

export interface GenerationRow {
  host: 'node';
  backend: string;
  /** e.g. 'SwiftShader (software: CPU emulation, not a GPU number)'. */
  device: string;
  software: boolean;
  /** Timed generate() calls; ms is their median. */
  calls: number;
  ms: number;
  tokensPerSec: number;
  /** Whether the greedy tokens equal the first row's (the CPU backend's). */
  sameTokensAsCpu: boolean | null;
  tokens: number[][];
  skipped?: string;
  error?: string;
}

export function skippedGeneration(backend: string, why: { skipped?: string; error?: string }): GenerationRow {
  return {
    host: 'node',
    backend,
    device: '-',
    software: false,
    calls: 0,
    ms: Number.NaN,
    tokensPerSec: Number.NaN,
    sameTokensAsCpu: null,
    tokens: [],
    ...why,
  };
}

/** Prompts of BOS + random ids, the same on every backend. */
function prompts(vocab: number, bos: number): number[][] {
  const rng = new Rng(GENERATION.seed);
  return Array.from({ length: GENERATION.prompts }, () => [
    bos,
    ...Array.from({ length: GENERATION.promptTokens - 1 }, () => rng.int(vocab)),
  ]);
}

export async function benchGeneration(
  backend: Backend,
  device: string,
  software: boolean,
  cpuTokens: number[][] | null,
  calls: number,
): Promise<GenerationRow> {
  const model = await loadModel(dirFiles(MODEL_DIR));
  const store = new ParamStore(backend);
  for (const [name, w] of model.weights) store.add(name, model.shapes.get(name) as number[], w, false);
  const gen = new Generator(model, store);
  const bos = Number(model.config.raw.bos_token_id ?? 0);
  const input = prompts(model.config.vocabSize, bos);
  const run = () => gen.generate(input, { maxNewTokens: GENERATION.newTokens, temperature: 0 });
  try {
    const first = await run();
    const made = first.tokens.reduce((s, t) => s + t.length, 0);
    if (made !== GENERATION.prompts * GENERATION.newTokens) {
      throw new Error(`generated ${made} tokens, expected ${GENERATION.prompts} x ${GENERATION.newTokens}`);
    }
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    return {
      host: 'node',
      backend: backend.name,
      device,
      software,
      calls,
      ms,
      tokensPerSec: (GENERATION.prompts * GENERATION.newTokens) / (ms / 1000),
      sameTokensAsCpu: cpuTokens ? JSON.stringify(cpuTokens) === JSON.stringify(first.tokens) : null,
      tokens: first.tokens,
    };
  } finally {
    gen.dispose();
  }
}

export function generationTable(rows: readonly GenerationRow[]): string {
  const { prompts: p, promptTokens, newTokens } = GENERATION;
  const header = [
    'backend',
    'host',
    'device',
    `ms per batch (${p} x ${newTokens} new tokens)`,
    'new tokens/s',
    'same tokens as cpu',
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const body = rows.map((r) =>
    r.skipped || r.error
      ? line([r.backend, r.host, r.skipped ? `skipped: ${r.skipped}` : `error: ${r.error}`, '-', '-', '-'])
      : line([
          r.backend,
          r.host,
          r.device,
          r.ms.toFixed(r.ms < 100 ? 1 : 0),
          r.tokensPerSec.toFixed(0),
          r.sameTokensAsCpu === null ? '-' : r.sameTokensAsCpu ? 'yes' : 'no',
        ]),
  );
  return [
    `Generation (orchard-tiny, ${p} prompts of ${promptTokens} tokens, greedy, KV cache):`,
    '',
    line(header),
    line(header.map(() => '---')),
    ...body,
  ].join('\n');
}

/** CPU backend, then WebGPU through Dawn where Node has an adapter (a software one is flagged). */
export async function nodeGenerationRows(adapter: AdapterInfo | null): Promise<GenerationRow[]> {
  const cpuBackend = new CpuBackend();
  await cpuBackend.whenThreadsReady();
  const cpu = await benchGeneration(cpuBackend, `CPU, ${cpuBackend.threads} thread(s)`, false, null, 5).catch((err) =>
    skippedGeneration('cpu', { error: messageOf(err) }),
  );
  if (!adapter) return [cpu, skippedGeneration('webgpu', { skipped: 'no WebGPU adapter in Node' })];
  const software = adapter.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(JSON.stringify(adapter));
  const device = software
    ? 'SwiftShader (software adapter: CPU emulation, not a GPU number)'
    : `${adapter.vendor} ${adapter.device || adapter.architecture}`.trim();
  let gpu: GenerationRow;
  try {
    const backend = await createWebGPUBackend(await getNodeGPU());
    try {
      gpu = await benchGeneration(backend, device, software, cpu.tokens.length ? cpu.tokens : null, software ? 2 : 5);
    } finally {
      backend.dispose();
    }
  } catch (err) {
    gpu = skippedGeneration('webgpu', { error: messageOf(err) });
  }
  return [cpu, gpu];
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
