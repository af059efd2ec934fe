/**
 * The exporter's own rules, without PyTorch: folder names equal `orchard train --out`'s, specs it
 * cannot export are refused with what to change, and pairs.jsonl lists exactly `trainingBatches`'
 * micro-batches with the ids and masks Orchard's encoder gives.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRAIN_TEMPLATE } from '../../src/cli/commands/export.ts';
import { encodePair } from '../../src/data/sequence.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { exportTorchProject } from '../../src/lab/export/torch-project.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { runFolderNames } from '../../src/lab/run-folders.ts';
import { BUNDLED, fullSpec } from './export-torch-helpers.ts';

const ROWS = [
  { i_chosen: 'List two fruits', r_chosen: 'apple, pear', i_reject: 'List two fruits', r_reject: 'apple' },
  { i_chosen: 'List two fruits', r_chosen: 'kiwi, plum', i_reject: 'List two colours', r_reject: 'red' },
  { i_chosen: 'List three fruits', r_chosen: 'a, b, c', i_reject: 'List three fruits', r_reject: 'a, b' },
];

async function exportSpec(partial: unknown) {
  const backend = new CpuBackend();
  try {
    return await exportTorchProject(fullSpec({ version: 1, ...(partial as object) }), {
      backend,
      resolvers: await nodeResolvers({ modelsDir: BUNDLED }),
      trainScript: readFileSync(TRAIN_TEMPLATE, 'utf8'),
    });
  } finally {
    backend.dispose();
  }
}

describe('export torch: the project files', () => {
  it('names run folders safe, lower-case and unique (one function for this and orchard train --out)', () => {
    const labels = ['DPO', 'JPO', 'dpo', 'β = 0.1 / run', '---', 'JPO'];
    expect(runFolderNames(labels)).toEqual(['dpo', 'jpo', 'dpo-2', '0.1-run', 'run', 'jpo-2']);
  });

  it('refuses a spec with an SFT stage, saying what to change', async () => {
    await expect(exportSpec({ sft: { steps: 2 } })).rejects.toThrow(/SFT stage.*"sft": null/);
  });

  it('pairs.jsonl: one line per pair fed, in feed order, with the encoder ids and masks of each run', async () => {
    const spec = {
      data: { source: 'file', rows: ROWS, format: 'jpo', pairing: { mode: 'both' } },
      runs: [
        { label: 'DPO', objective: 'dpo', pairs: 'conditional' },
        { label: 'JPO', objective: 'jpo', pairs: 'both' },
      ],
      steps: 3,
      schedule: { warmupSteps: 1 },
      batchSize: 2,
      gradAccumulation: 2,
    };
    const project = await exportSpec(spec);
    const lines = (project.files['pairs.jsonl'] as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2 * 3 * 2 * 2); // runs x steps x micro-batches x pairs
    const dpo = lines.filter((x) => x.run === 'DPO');
    expect(dpo.map((x) => [x.step, x.micro])).toEqual(
      [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3].map((s, i) => [s, (i >> 1) & 1]),
    );
    // DPO trains on conditional pairs only (rows 0 and 2), with response-only masks.
    expect(new Set(dpo.map((x) => x.pair))).toEqual(new Set([0, 2]));
    const full = fullSpec({ version: 1, ...spec });
    const tok = (await (await nodeResolvers({ modelsDir: BUNDLED })).model(full.model)).tokenizer;
    for (const x of lines) {
      const mode = x.run === 'DPO' ? 'conditional' : 'joint';
      const chosen = encodePair(tok, x.i_chosen, x.r_chosen, { mode, template: full.data.template });
      expect(x.chosen).toEqual({ ids: chosen.ids, mask: chosen.mask });
      expect(ROWS[x.pair]).toEqual({
        i_chosen: x.i_chosen,
        r_chosen: x.r_chosen,
        i_reject: x.i_reject,
        r_reject: x.r_reject,
      });
    }
    const plan = JSON.parse(project.files['plan.json'] as string);
    expect(
      plan.runs.map((r: { folder: string; pairs_per_micro_batch: number }) => [r.folder, r.pairs_per_micro_batch]),
    ).toEqual([
      ['dpo', 2],
      ['jpo', 2],
    ]);
  });
});
