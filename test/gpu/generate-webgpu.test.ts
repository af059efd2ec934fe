/**
 * Generation with the KV cache on WebGPU (Dawn) against the CPU backend: the same greedy tokens and
 * close logits for a random GPT-2, a random Llama with grouped-query attention, and the bundled
 * orchard-tiny model on held-out Apples & Oranges instructions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPrompt, PAPER_TEMPLATE } from '../../src/data/sequence.ts';
import { renderInstruction, splitSpecs } from '../../src/data/tasks/apples.ts';
import { loadTokenizer } from '../../src/data/tokenizer.ts';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { getNodeGPU } from '../../src/engine/backends/webgpu/node-gpu.ts';
import { generate } from '../../src/engine/generate.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../../src/engine/models/index.ts';
import { paramStoreFor, tinyGpt2, tinyLlama } from '../unit/generate-helpers.ts';

let gpu: Backend;

beforeAll(async () => {
  const nodeGpu = await getNodeGPU();
  // The backend module reads WebGPU globals at import time; getNodeGPU installs them.
  const { createWebGPUBackend } = await import('../../src/engine/backends/webgpu/index.ts');
  gpu = await createWebGPUBackend(nodeGpu);
});

afterAll(() => gpu?.dispose());

async function compareBackends(model: LoadedModel, prompts: number[][], maxNewTokens: number, stopIds: number[] = []) {
  const opts = { maxNewTokens, stopIds, returnLogits: true };
  const cpu = await generate(model, paramStoreFor(model, new CpuBackend()), prompts, opts);
  const params = paramStoreFor(model, gpu);
  const web = await generate(model, params, prompts, opts);
  params.dispose();
  expect(web.tokens).toEqual(cpu.tokens);
  expect(web.finish).toEqual(cpu.finish);
  let maxDiff = 0;
  for (const [b, row] of (cpu.logits ?? []).entries()) {
    for (const [s, l] of row.entries()) {
      const w = web.logits?.[b][s] as Float32Array;
      for (let i = 0; i < l.length; i++) maxDiff = Math.max(maxDiff, Math.abs(l[i] - w[i]));
    }
  }
  expect(maxDiff).toBeLessThan(1e-3);
  return cpu;
}

describe('generation on WebGPU equals the CPU backend', () => {
  const prompts = [[1, 2, 3], [5, 6, 7, 8, 9, 10, 11, 12, 13], [4]];

  it('random GPT-2', async () => {
    await compareBackends(tinyGpt2(21), prompts, 10);
  });

  it('random Llama with grouped-query attention', async () => {
    await compareBackends(tinyLlama(22), prompts, 10);
  });

  it('the bundled orchard-tiny model on held-out instructions', async () => {
    const dir = 'public/models/orchard-tiny';
    const model = await loadModel(dirFiles(dir));
    const tok = await loadTokenizer({ dir });
    const specs = splitSpecs(1).test.slice(0, 4);
    const ids = specs.map((s) => [
      tok.bosId as number,
      ...tok.encode(formatPrompt(tok, renderInstruction(s), PAPER_TEMPLATE)),
    ]);
    const r = await compareBackends(model, ids, 24, [tok.eosId as number]);
    expect(r.tokens.some((t) => t.length > 1)).toBe(true);
  });
});
