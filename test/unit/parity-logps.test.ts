/**
 * Whole models vs PyTorch: per-sequence log-prob sums and means of the fixture batch (padded rows,
 * joint and conditional masks) for GPT-2 (F32, Hub names, tied), Llama (BF16, GQA, untied) and
 * Qwen2 (F16 shards, q/k/v bias, GQA 4:1, tied), on the CPU backend.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph } from '../../src/engine/graph.ts';
import { buildSequenceStats, feedsFor, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../../src/engine/models/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { must } from './engine-helpers.ts';
import { FIXTURE_DIR, fixture, fixtureBatch, relErr } from './parity-fixture.ts';

async function logps(
  model: LoadedModel,
  mode: 'joint' | 'conditional',
): Promise<{ sum: Float32Array; mean: Float32Array }> {
  const batch = fixtureBatch(mode);
  const g = new Graph();
  const seq = buildSequenceStats(g, model, { B: batch.B, T: batch.T, reductions: ['sum', 'mean'] });
  const backend = new CpuBackend();
  const params = new ParamStore(backend);
  params.addFromGraph(g, (name) => model.weights.get(name) as Float32Array);
  const fwd = compileForward(g, [must(seq.sum, 'sum log-probs'), must(seq.mean, 'mean log-probs')], backend, params);
  const [sum, mean] = await fwd.run(feedsFor(g, sequenceFeeds(batch)));
  return { sum, mean };
}

describe.each(['gpt2', 'llama', 'qwen2'] as const)('%s log-probs match PyTorch', (name) => {
  const fx = fixture.models[name];
  for (const mode of ['joint', 'conditional'] as const) {
    it(`${mode} sums and means`, async () => {
      const model = await loadModel(dirFiles(join(FIXTURE_DIR, fx.dir)));
      const got = await logps(model, mode);
      expect(relErr(got.sum, fx.logps[mode].sum)).toBeLessThan(1e-4);
      expect(relErr(got.mean, fx.logps[mode].mean)).toBeLessThan(1e-4);
      // Guard against a degenerate fixture: rows differ and joint sums exceed conditional ones in magnitude.
      expect(new Set(fx.logps[mode].sum.map((v) => v.toFixed(3))).size).toBe(fx.logps[mode].sum.length);
    });
  }
});
