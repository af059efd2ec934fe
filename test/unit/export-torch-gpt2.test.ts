/**
 * `orchard export torch` on the bundled GPT-2 (orchard-tiny) with LoRA and the classroom task
 * (sampled, judged in both orders, ties dropped): the exported train.py, run by Debian's PyTorch,
 * must train exactly what Orchard's CPU backend trains.
 * - one process: the first 10 steps' loss and metrics of each run equal Orchard's within 1e-4;
 * - the adapters it writes, loaded back into Orchard's engine, give the training pairs the same
 *   log-probs as Orchard's own trained adapters (1e-4);
 * - its orchard-run.json imports into the lab's runs table (the run-bundle format);
 * - torchrun with 2 processes (DDP, gloo): the same curves as one process (1e-4);
 * - `orchard eval --model DIR` loads the exported adapters and reports the same wins, ties and
 *   losses as for Orchard's adapters (greedy decoding).
 * Needs /usr/bin/python3 with torch: `npm test` installs python3-torch when it can
 * (scripts/ensure-python-torch.mjs).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAdapter } from '../../src/engine/lora.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { loadModel } from '../../src/engine/models/index.ts';
import type { ExperimentResult } from '../../src/lab/pipeline/index.ts';
import { runFolderNames } from '../../src/lab/run-folders.ts';
import { runFromBundle } from '../../src/state/run-bundle.ts';
import {
  BUNDLED,
  expectSameCurves,
  expectSameTrainedLogps,
  fullSpec,
  type MetricLine,
  orchardLines,
  trainThreeWays,
} from './export-torch-helpers.ts';
import { orchard, smallData } from './small-experiment.ts';

const SPEC = fullSpec({
  version: 1,
  name: 'export gpt2 lora',
  seed: 11,
  data: smallData(),
  steps: 10,
  batchSize: 4,
  schedule: { kind: 'cosine', warmupSteps: 2 },
  // A low clip threshold so clipping acts on some steps.
  optimizer: { lr: 0.002, maxGradNorm: 0.25 },
  eval: { nTest: 0, maxNewTokens: 12 },
});

const SPEC_NAME = 'gpt2 lora';
let dir = '';
let project = '';
let result: ExperimentResult;
let one: MetricLine[];
let two: MetricLine[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-export-gpt2-'));
  project = join(dir, 'project');
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(SPEC));
  await orchard('export', 'torch', '--spec', join(dir, 'spec.json'), '--out', project);
  ({ result, one, two } = await trainThreeWays(SPEC, project, dir));
}, 180_000);

describe('export torch: GPT-2 with LoRA', () => {
  it('writes the project files; pairs.jsonl holds the labelled pairs each run trains on', () => {
    const files = ['README.md', 'spec.json', 'plan.json', 'pairs.jsonl', 'train.py', 'model/config.json'];
    for (const f of files) expect(readFileSync(join(project, f)).length).toBeGreaterThan(0);
    const pool = new Set((result.data?.rows ?? []).map((r) => JSON.stringify(r)));
    const lines = readFileSync(join(project, 'pairs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const x of lines) {
      const { i_chosen, r_chosen, i_reject, r_reject } = x;
      expect(pool.has(JSON.stringify({ i_chosen, r_chosen, i_reject, r_reject }))).toBe(true);
    }
    for (const r of result.runs) {
      expect(new Set(lines.filter((x) => x.run === r.label).map((x) => x.pair)).size).toBe(Math.min(r.pairCount, 40));
      expect(lines.filter((x) => x.run === r.label).length).toBe(10 * 4);
    }
  });

  it('one process: every step of every run equals Orchard CPU within 1e-4 (loss, TRL metrics, grad norm, lr)', () => {
    const ours = orchardLines(result);
    expect(one).toHaveLength(20);
    expect(one.map((l) => Object.keys(l))).toEqual(ours.map((l) => Object.keys(l)));
    expectSameCurves(one, ours, project, `${SPEC_NAME}: vs Orchard CPU`);
    // The test means something: training moved the loss, and clipping acted.
    expect(Math.min(...one.map((l) => l.loss as number))).toBeLessThan(0.69);
    expect(Math.max(...one.map((l) => l.grad_norm as number))).toBeGreaterThan(0.25);
  });

  it("the exported adapters give the training pairs Orchard's log-probs (1e-4), named as orchard train names them", async () => {
    const base = await loadModel(dirFiles(join(BUNDLED, 'orchard-tiny')));
    const folders = runFolderNames(result.runs.map((r) => r.label));
    for (const [k, r] of result.runs.entries()) {
      const mine = loadAdapter({
        config: r.files['adapter_config.json'] as string,
        safetensors: r.files['adapter_model.safetensors'] as Uint8Array,
      });
      const weights = new Map([...base.weights, ...mine.weights]);
      const pythonDir = join(dir, 'one', folders[k]);
      await expectSameTrainedLogps(
        project,
        r.label,
        pythonDir,
        base,
        { weights, lora: mine.config },
        `${SPEC_NAME}: ${r.label}`,
      );
      expect(readFileSync(join(dir, 'one', folders[k], 'adapter_config.json'), 'utf8')).toBe(
        r.files['adapter_config.json'],
      );
    }
  });

  it("orchard-run.json imports into the lab's runs table: the same curves and adapters", () => {
    const bundle = runFromBundle(readFileSync(join(dir, 'one', 'orchard-run.json'), 'utf8'), 'exported');
    if (!bundle.ok) throw new Error(bundle.error);
    const folders = runFolderNames(result.runs.map((r) => r.label));
    for (const [k, r] of result.runs.entries()) {
      expect(bundle.run.series[r.label].map((row) => row.loss)).toEqual(
        one.filter((l) => l.run === r.label).map((l) => l.loss),
      );
      const adapter = bundle.run.adapters.find((a) => a.run === r.label);
      expect(adapter?.safetensors).toEqual(
        new Uint8Array(readFileSync(join(dir, 'one', folders[k], 'adapter_model.safetensors'))),
      );
    }
  });

  it('torchrun with 2 processes (DDP, gloo): the same curves as one process within 1e-4', () => {
    expectSameCurves(two, one, project, `${SPEC_NAME}: torchrun 2 processes vs 1`);
  });

  it("orchard eval loads the exported adapters: the same wins, ties and losses as Orchard's adapters", async () => {
    const cmp = join(dir, 'compare');
    const folders = runFolderNames(result.runs.map((r) => r.label));
    for (const [k, r] of result.runs.entries()) {
      cpSync(join(dir, 'one', folders[k]), join(cmp, `python-${folders[k]}`), { recursive: true });
      mkdirSync(join(cmp, `orchard-${folders[k]}`), { recursive: true });
      for (const [name, content] of Object.entries(r.files))
        writeFileSync(join(cmp, `orchard-${folders[k]}`, name), content);
    }
    const { stdout } = await orchard('eval', '--spec', join(dir, 'spec.json'), '--model', cmp, '--n', '8');
    const reports = JSON.parse(stdout).reports as {
      run: string;
      winRate: { wins: number; ties: number; losses: number };
    }[];
    expect(reports).toHaveLength(2 * result.runs.length);
    for (const f of folders) {
      const py = reports.find((x) => x.run === `python-${f}`);
      const ours = reports.find((x) => x.run === `orchard-${f}`);
      expect(py?.winRate).toEqual(ours?.winRate);
    }
  });
});
