/**
 * `orchard train --out` when things go wrong, spawned as a user runs it:
 * - a run that diverges (IPO with a tiny β at lr 1 without clipping: its gradient norm overflows at
 *   a few steps in) stops with a message naming the step and the fix, and every other run's results are
 *   still written: the DPO run's adapter, all metrics (IPO's up to the failure), the eval report; exit 1;
 * - every output replaces its file by a rename (a hard link to the old file keeps the old bytes);
 * - `--resume` after removing the failed run reuses the finished run's checkpoint (no step retrained)
 *   and writes the same metrics and report;
 * - a truncated checkpoint is reported with its path and the fix, not as a bare parse error.
 */
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Outcome, orchardOutcome, smallData } from './small-experiment.ts';

/** `orchard train --spec DIR/<spec> --backend cpu --out DIR/out ...extra`. */
const train = (spec: string, ...extra: string[]) =>
  orchardOutcome('train', '--spec', join(dir, spec), '--backend', 'cpu', '--out', out, ...extra);

const DPO = { label: 'DPO', objective: 'dpo', pairs: 'conditional' };
const SPEC = {
  version: 1,
  name: 'divergence test',
  seed: 3,
  data: smallData(),
  steps: 8,
  batchSize: 2,
  optimizer: { lr: 1, maxGradNorm: null },
  runs: [{ label: 'IPO', objective: 'ipo', pairs: 'conditional', beta: 1e-18 }, DPO],
  eval: { nTest: 4, maxNewTokens: 16 },
};
const OUTPUTS = ['spec.json', 'metrics.jsonl', 'metrics.csv', 'pairs.jsonl', 'eval.json'];

let dir = '';
let out = '';
let first: Outcome;

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { run: string; step: number });
const evalOf = () => JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-diverge-'));
  out = join(dir, 'out');
  mkdirSync(out);
  // Every output starts as a hard link to one old file: writing in place would change it.
  writeFileSync(join(dir, 'old.txt'), 'old bytes\n');
  for (const name of OUTPUTS) linkSync(join(dir, 'old.txt'), join(out, name));
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(SPEC));
  first = await train('spec.json', '--checkpoint-every', '2');
}, 300_000);

describe('orchard train --out with a diverging run', () => {
  it('stops that run with the step and the fix, and writes every other result', () => {
    expect(first.code).toBe(1);
    const failure =
      /IPO: the gradient norm is Infinity at step (\d+) \(training diverged\); lower optimizer\.lr, enable gradient clipping \(optimizer\.maxGradNorm, e\.g\. 1\), or use a larger β \(runs\[0\]\.beta\)/.exec(
        first.stderr,
      );
    expect(failure, first.stderr).not.toBeNull();
    const failedAt = Number(failure?.[1]);
    expect(failedAt).toBeGreaterThan(1);
    expect(first.stderr).toContain(`train: the results of DPO are in ${out}`);
    // The finished run: its adapter and its report.
    expect(existsSync(join(out, 'dpo', 'adapter_model.safetensors'))).toBe(true);
    expect(existsSync(join(out, 'ipo'))).toBe(false);
    const steps = lines(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).map((l) => `${l.run}:${l.step}`);
    const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    // The failed run's steps before the failure, then every step of the finished run.
    expect(steps).toEqual([...upTo(failedAt - 1).map((s) => `IPO:${s}`), ...upTo(8).map((s) => `DPO:${s}`)]);
    expect(lines(first.stdout).map((l) => `${l.run}:${l.step}`)).toEqual(steps);
    const report = evalOf();
    expect(report.runs.map((r: { label: string; status: string }) => [r.label, r.status])).toEqual([
      ['IPO', 'failed'],
      ['DPO', 'completed'],
    ]);
    expect(report.runs[0].report).toBeNull();
    expect(report.runs[0].error).toContain(`at step ${failedAt} `);
    expect(report.runs[1].report.winRate.n).toBe(4);
  });

  it('replaces each output file by a rename instead of writing into it', () => {
    expect(readFileSync(join(dir, 'old.txt'), 'utf8')).toBe('old bytes\n');
    for (const name of OUTPUTS) expect(statSync(join(out, name)).nlink, name).toBe(1);
  });

  it('reuses the finished run on --resume once the failed run is removed', async () => {
    const before = { metrics: readFileSync(join(out, 'metrics.jsonl'), 'utf8'), eval: evalOf() };
    writeFileSync(join(dir, 'spec-fixed.json'), JSON.stringify({ ...SPEC, runs: [DPO] }));
    const again = await train('spec-fixed.json', '--resume');
    expect(again.stderr).toContain('[train DPO] trained (from the checkpoint)');
    expect(again.code).toBe(0);
    // No step was trained again, and the results are the first run's.
    expect(again.stdout.trim()).toBe('');
    const dpoLines = (text: string) => text.split('\n').filter((l) => l.includes('"run":"DPO"'));
    expect(dpoLines(readFileSync(join(out, 'metrics.jsonl'), 'utf8'))).toEqual(dpoLines(before.metrics));
    expect(evalOf().runs[0].report).toEqual(before.eval.runs[1].report);
  }, 300_000);

  it('names a truncated checkpoint and the fix on --resume', async () => {
    const file = join(out, 'checkpoints', 'run%3ADPO.ckpt');
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    const broken = await train('spec.json', '--resume');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`train: the checkpoint ${file} cannot be read (`);
    expect(broken.stderr).toContain(`it is truncated or corrupt; delete ${file} or rerun without --resume`);
  }, 300_000);
});
