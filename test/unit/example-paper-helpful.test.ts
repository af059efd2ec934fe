/**
 * examples/paper-helpful-gpt2.json, run by `orchard train` on a tiny random GPT-2 (with GPT-2's own
 * tokenizer) made by scripts/make-random-gpt2.ts: DPO and JPO on the paper's Anthropic-helpful data
 * (the conditional preference file and the SFT file, in that order), LoRA on q, k, v (GPT-2's
 * c_attn) with dropout, evaluated on the helpful test file against gold answers by the test reward
 * model. To stay fast the test keeps the spec but shrinks sizes and reads the first rows of each
 * bundled file (same names, same order).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
// onnxruntime-web must be registered before transformers.js is first evaluated (see ort-web-node.ts).
import '../../src/data/judges/ort-web-node.ts';
import { writeRandomGpt2 } from '../../scripts/make-random-gpt2.ts';

const { run: runTrain } = await import('../../src/cli/commands/train.ts');

const ROOT = join(import.meta.dirname, '..', '..');
const GPT2_TOKENIZER = join(ROOT, '..', 'shared', 'data', 'tokenizers', 'gpt2');
const JUDGE = join(ROOT, 'test', 'fixtures', 'judge');
const ROWS = 12;

let dir = '';
let specPath = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-paper-example-'));
  writeRandomGpt2(join(dir, 'gpt2'), { tokenizerDir: GPT2_TOKENIZER, size: 'tiny', seed: 5 });
  const spec = JSON.parse(readFileSync(join(ROOT, 'examples', 'paper-helpful-gpt2.json'), 'utf8'));
  const slice = (path: string) => {
    const out = join(dir, path);
    mkdirSync(join(out, '..'), { recursive: true });
    const lines = readFileSync(join(ROOT, path), 'utf8').split('\n').slice(0, ROWS);
    writeFileSync(out, `${lines.join('\n')}\n`);
    return out;
  };
  spec.model.path = join(dir, 'gpt2');
  spec.data.path = spec.data.path.map(slice);
  spec.eval.test.path = slice(spec.eval.test.path);
  Object.assign(spec.data, { maxLength: 48, maxPromptLength: 24 });
  spec.data.pairing.budget = 4;
  Object.assign(spec, { batchSize: 2, gradAccumulation: 1, steps: 2 });
  spec.schedule.warmupSteps = 1;
  Object.assign(spec.eval, { nTest: 2, maxNewTokens: 4 });
  specPath = join(dir, 'spec.json');
  writeFileSync(specPath, JSON.stringify(spec));
});

describe('examples/paper-helpful-gpt2.json', () => {
  it('trains DPO and JPO on the helpful data and evaluates them on its test file', { timeout: 300_000 }, async () => {
    const out = join(dir, 'out');
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await runTrain(['--spec', specPath, '--reward-model', JUDGE, '--out', out]);
    vi.restoreAllMocks();
    expect(code).toBe(0);

    const evalJson = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
    expect(evalJson.baseline).toBe('gold');
    const runs = evalJson.runs as {
      label: string;
      steps: number;
      pairCount: number;
      report: { winRate: { n: number } };
    }[];
    expect(runs.map((r) => r.label)).toEqual(['DPO', 'JPO']);
    for (const r of runs) {
      expect(r.steps).toBe(2);
      expect(r.report.winRate.n).toBe(2);
    }
    // DPO trains on the file's conditional pairs; JPO on those plus joint pairs judged from the SFT rows.
    expect(runs[0].pairCount).toBe(ROWS);
    expect(runs[1].pairCount).toBeGreaterThan(ROWS);
    const test = readFileSync(join(ROOT, 'public/data/paper/anthropic_helpful/test.jsonl'), 'utf8').split('\n');
    expect(evalJson.items[0].instruction).toBe(JSON.parse(test[0]).instruction);

    const config = JSON.parse(readFileSync(join(out, 'jpo', 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ r: 8, lora_alpha: 16, lora_dropout: 0.05, fan_in_fan_out: true });
    expect(config.target_modules).toEqual(['attn.c_attn']);
  });
});
