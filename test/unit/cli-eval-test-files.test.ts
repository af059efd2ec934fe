/**
 * `orchard eval --test FILE` on the JPO paper's own test files, unconverted (read from the shared
 * copy of github.com/Hritikbansal/jpo): Anthropic-helpful's test.jsonl and TL;DR's test.json (JSON
 * Lines despite its name, with extra fields). The judge is the test reward model
 * (test/fixtures/judge, scripts/make-judge-onnx.ts).
 * - against gold: the baseline's mean score must equal the reward model's mean score of the
 *   files' first n gold answers, read here with a plain JSON.parse per line (so the items and gold
 *   answers came from the file, in order);
 * - against the initial model: evaluating the initial model itself gives identical answers, so
 *   every item is a tie.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
// onnxruntime-web must be registered before transformers.js is first evaluated (see ort-web-node.ts).
import '../../src/data/judges/ort-web-node.ts';

const { run: runEval } = await import('../../src/cli/commands/eval.ts');
const { loadRewardModelJudge } = await import('../../src/data/judges/reward-model.ts');

const ROOT = join(import.meta.dirname, '..', '..');
// The spec's default model: the "initial model" baseline is the spec's model, so the two must match.
const TINY = join(ROOT, 'public', 'models', 'orchard-tiny-2');
const JUDGE = join(ROOT, 'test', 'fixtures', 'judge');
const PAPER = join(ROOT, '..', 'shared', 'data', 'jpo-paper');
const FILES = ['anthropic_helpful/test.jsonl', 'tldr/test.json'];
const N = 3;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-eval-test-'));
});
afterEach(() => vi.restoreAllMocks());

function specFile(compareAgainst: 'gold' | 'reference-model', judge = 'reward-model'): string {
  const path = join(dir, `spec-${compareAgainst}-${judge}.json`);
  const spec = { version: 2, eval: { nTest: 32, maxNewTokens: 6, judge, compareAgainst } };
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

async function evalJson(argv: string[]) {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const code = await runEval(argv);
  vi.restoreAllMocks();
  expect(code).toBe(0);
  return JSON.parse(out.join('\n'));
}

describe('orchard eval --test on the paper test files', () => {
  for (const file of FILES) {
    it(`${file}: against the gold answers, with the reward-model judge`, { timeout: 120_000 }, async () => {
      const test = join(PAPER, file);
      const args = ['--model', TINY, '--test', test, '--n', String(N), '--reward-model', JUDGE];
      const out = await evalJson(['--spec', specFile('gold'), ...args]);
      expect(out.baseline).toBe('gold');
      expect(out.nTest).toBe(N);
      expect(out.reports).toHaveLength(1);
      const report = out.reports[0];
      expect(report.winRate.n).toBe(N);
      expect(report.winRate.wins + report.winRate.ties + report.winRate.losses).toBe(N);
      expect(Number.isFinite(report.meanScore)).toBe(true);

      const rows = readFileSync(test, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(0, N)
        .map((l) => JSON.parse(l) as { instruction: string; gold_response: string });
      const judge = await loadRewardModelJudge({ source: { dir: JUDGE } });
      let sum = 0;
      for (const r of rows) sum += (await judge.score({ instruction: r.instruction, response: r.gold_response })).score;
      expect(out.baselineMeanScore).toBeCloseTo(sum / N, 5);
    });
  }

  it('against the initial model: the initial model itself ties every item', { timeout: 120_000 }, async () => {
    const test = join(PAPER, 'anthropic_helpful/test.jsonl');
    const out = await evalJson([
      '--spec',
      specFile('reference-model'),
      ...['--model', TINY, '--test', test, '--n', String(N), '--reward-model', JUDGE],
    ]);
    expect(out.baseline).toBe('reference-model');
    expect(out.reports[0].winRate).toMatchObject({ ties: N, wins: 0, losses: 0, rate: 0.5 });
  });

  it('refuses the exact checker for a test file, saying what to use', async () => {
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    const test = join(PAPER, 'tldr/test.json');
    const code = await runEval(['--spec', specFile('gold', 'oracle'), '--model', TINY, '--test', test]);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/eval\.judge: "oracle" .* need "reward-model" or "human"/);
  });

  it('refuses a preference file as test items, saying what a test row is', async () => {
    const test = join(PAPER, 'anthropic_helpful/val_conditional_pref.jsonl');
    const args = ['--model', TINY, '--test', test, '--n', '2', '--reward-model', JUDGE];
    await expect(runEval(['--spec', specFile('gold'), ...args])).rejects.toThrow(
      /holds preference comparisons, not test items; a test row is \{"instruction": \.\.\., "gold_response": \.\.\.\}/,
    );
  });
});
