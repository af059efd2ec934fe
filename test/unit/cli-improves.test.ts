/**
 * The lab's promise, checked end to end: the DEFAULT experiment spec (DPO vs JPO on the bundled
 * orchard-tiny model and the apples task), run by the CLI as a user runs it, leaves both trained
 * models better than the initial one. "Better" is measured twice, independently of the training loss:
 * - the win-rate against the initial model's answers (exact oracle, both orders, tie = 0.5) is above
 *   one half, with more wins than losses;
 * - the mean oracle score of the trained model's answers is above the initial model's.
 * The spec file holds nothing but the version, so this follows src/lab/spec-defaults.ts: a change of
 * defaults that stops preference training from helping fails here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SPEC } from '../../src/lab/spec-defaults.ts';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

interface RunReport {
  label: string;
  report: { winRate: { rate: number; wins: number; losses: number; n: number }; meanScore: number };
}

let report: { initialMeanScore: number; runs: RunReport[] };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orchard-default-'));
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify({ version: 2 }));
  await exec(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'train', '--spec', specFile, '--backend', 'cpu', '--out', join(dir, 'out')],
    { cwd: ROOT, maxBuffer: 1 << 26 },
  );
  report = JSON.parse(readFileSync(join(dir, 'out', 'eval.json'), 'utf8'));
}, 300_000);

describe('the default DPO-vs-JPO spec, run by the CLI', () => {
  it('trains both objectives and judges every held-out item', () => {
    expect(report.runs.map((r) => r.label)).toEqual(['DPO', 'JPO']);
    for (const r of report.runs) expect(r.report.winRate.n).toBe(DEFAULT_SPEC.eval.nTest);
  });

  for (const label of ['DPO', 'JPO']) {
    it(`${label} beats the initial model: win-rate above 50% and a higher mean oracle score`, () => {
      const run = report.runs.find((r) => r.label === label) as RunReport;
      const { rate, wins, losses } = run.report.winRate;
      expect(wins).toBeGreaterThan(losses);
      expect(rate).toBeGreaterThan(0.5);
      expect(run.report.meanScore).toBeGreaterThan(report.initialMeanScore);
    });
  }
});
