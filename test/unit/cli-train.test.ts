/**
 * `orchard train` and `orchard eval`, spawned as a user runs them, on the bundled model and the
 * classroom task with a small spec file:
 * - stdout: exactly one JSON line per optimizer step of each run, with TRL's metric names;
 * - the output folder: PEFT adapters that load (and whose base is the bundled model), metrics as
 *   JSONL (equal to stdout) and CSV, the labelled pairs, and the evaluation report;
 * - the same spec trained a second time prints the same numbers and writes the same report;
 * - `orchard eval` on that folder loads the saved adapters from disk and must reproduce the
 *   training run's win-rate reports exactly (an independent path: files instead of memory).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAdapter } from '../../src/engine/lora.ts';
import { orchard, smallSpec } from './small-experiment.ts';

const SPEC = smallSpec({ version: 1, name: 'cli test', seed: 5, steps: 4, eval: { nTest: 6, maxNewTokens: 16 } });

let dir = '';
let specFile = '';
let train: { stdout: string; stderr: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-train-'));
  specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(SPEC));
  train = await orchard('train', '--spec', specFile, '--backend', 'cpu', '--out', join(dir, 'out'));
}, 180_000);

describe('orchard train', () => {
  it('prints one JSON line per step with the TRL metrics, progress on stderr', () => {
    const lines = train.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.run}:${l.step}`)).toEqual([
      'DPO:1',
      'DPO:2',
      'DPO:3',
      'DPO:4',
      'JPO:1',
      'JPO:2',
      'JPO:3',
      'JPO:4',
    ]);
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(
        [
          'run',
          'step',
          'objective',
          'loss',
          'rewards/chosen',
          'rewards/rejected',
          'rewards/margins',
          'rewards/accuracies',
          'logps/chosen',
          'logps/rejected',
          'grad_norm',
          'learning_rate',
          'tokens_per_s',
        ].sort(),
      );
      expect(l.objective).toBe(l.run === 'DPO' ? 'dpo' : 'jpo');
      expect(Number.isFinite(l.loss) && l.tokens_per_s > 0).toBe(true);
    }
    expect(lines[0].loss).toBeCloseTo(Math.LN2, 5);
    expect(train.stderr).toMatch(/\[sample\]/);
    expect(train.stderr).toMatch(/\[eval\] DPO: win-rate vs reference-model/);
  });

  it('writes adapters, metrics, pairs and the evaluation report', () => {
    const out = join(dir, 'out');
    for (const run of ['dpo', 'jpo']) {
      const adapter = loadAdapter({
        config: readFileSync(join(out, run, 'adapter_config.json'), 'utf8'),
        safetensors: new Uint8Array(readFileSync(join(out, run, 'adapter_model.safetensors'))),
      });
      expect(adapter.baseModelNameOrPath).toBe('orchard-tiny');
      expect(adapter.config).toMatchObject({ r: 8, alpha: 16 });
      // Trained: some lora_B entries moved away from their zero init.
      const b = [...adapter.weights].filter(([k]) => k.includes('lora_B'));
      expect(b.some(([, w]) => w.some((v) => v !== 0))).toBe(true);
    }
    const jsonl = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(jsonl).toEqual(train.stdout.trim().split('\n'));
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0].split(',').slice(0, 4)).toEqual(['run', 'step', 'objective', 'loss']);
    expect(csv).toHaveLength(9);
    const report = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
    expect(report.runs.map((r: { label: string }) => r.label)).toEqual(['DPO', 'JPO']);
    for (const r of report.runs) {
      expect(r.report.winRate.n).toBe(6);
      expect(r.items).toHaveLength(6);
    }
    const pairs = readFileSync(join(out, 'pairs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(pairs.length).toBe(report.runs[1].pairCount);
    expect(pairs.filter((p) => p.i_chosen === p.i_reject).length).toBe(report.runs[0].pairCount);
  });
});

describe('orchard train, twice', () => {
  it('gives identical metrics and reports for the same spec on the same backend', async () => {
    const again = await orchard('train', '--spec', specFile, '--backend', 'cpu', '--out', join(dir, 'again'));
    // tokens_per_s is a wall-clock rate; every other number must repeat exactly.
    const numbers = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((l) => ({ ...JSON.parse(l), tokens_per_s: undefined }));
    expect(numbers(again.stdout)).toEqual(numbers(train.stdout));
    // Stage timings are wall-clock too.
    const report = (sub: string) => ({
      ...JSON.parse(readFileSync(join(dir, sub, 'eval.json'), 'utf8')),
      timings: undefined,
    });
    expect(report('again')).toEqual(report('out'));
  }, 180_000);
});

describe('orchard eval', () => {
  it('reproduces the training run reports from the saved adapters', async () => {
    const { stdout } = await orchard('eval', '--spec', specFile, '--model', join(dir, 'out'));
    const printed = JSON.parse(stdout);
    const saved = JSON.parse(readFileSync(join(dir, 'out', 'eval.json'), 'utf8'));
    expect(printed.reports).toEqual(saved.runs.map((r: { report: unknown }) => r.report));
    expect(printed.baselineMeanScore).toBeCloseTo(saved.initialMeanScore, 12);
  }, 120_000);

  it('explains a bad --model folder', async () => {
    await expect(orchard('eval', '--spec', specFile, '--model', dir)).rejects.toThrow(
      /no adapter_config.json or config.json/,
    );
  }, 60_000);
});
