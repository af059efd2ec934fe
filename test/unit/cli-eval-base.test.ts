/**
 * `orchard eval --model DIR` names its baseline and checks DIR's recorded base against the spec's
 * model, spawned as a user runs it. orchard-tiny and orchard-tiny-2 have the same shapes, so
 * nothing but the recorded base can tell an adapter of one from an adapter of the other:
 * - an adapter recording orchard-tiny-2, evaluated with a spec naming orchard-tiny, is refused
 *   (exit 2) with both names and the fix;
 * - with the spec that names its base, it runs, and the output names the baseline model. The
 *   adapter is freshly initialised (LoRA's B = 0: exactly its base), so if the baseline really is the
 *   model stated, every answer equals the baseline's and every comparison is a tie;
 * - a full model fine-tuned from another model (recorded by an `orchard train` folder's spec.json)
 *   runs against the spec's model with a warning naming both, and that baseline is not all ties.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Policy } from '../../src/lab/pipeline/policy.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { DEFAULT_SPEC } from '../../src/lab/spec.ts';
import { orchard, orchardOutcome, ROOT, smallSpec } from './small-experiment.ts';

const specOf = (id: string) =>
  smallSpec({
    version: 2,
    name: `eval base ${id}`,
    seed: 3,
    steps: 2,
    model: { source: 'bundled', id },
    eval: { nTest: 3, maxNewTokens: 8 },
  });

let dir = '';
const spec = { tiny: '', tiny2: '' };
let adapterDir = '';
let trainOut = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-eval-base-'));
  spec.tiny = join(dir, 'tiny.json');
  spec.tiny2 = join(dir, 'tiny2.json');
  writeFileSync(spec.tiny, JSON.stringify(specOf('orchard-tiny')));
  writeFileSync(spec.tiny2, JSON.stringify(specOf('orchard-tiny-2')));
  // A LoRA adapter of orchard-tiny-2 as the pipeline saves one, before any training step.
  const { model, name } = await (await nodeResolvers({ root: ROOT })).model({
    source: 'bundled',
    id: 'orchard-tiny-2',
  });
  const backend = new CpuBackend();
  const policy = new Policy(model, DEFAULT_SPEC.lora, 11, backend);
  adapterDir = join(dir, 'adapter');
  mkdirSync(adapterDir);
  for (const [file, content] of Object.entries(policy.files(await policy.readTrainable(), name))) {
    writeFileSync(join(adapterDir, file), content);
  }
  policy.dispose();
  backend.dispose();
  // An `orchard train --out` folder holding a full model fine-tuned from orchard-tiny-2.
  trainOut = join(dir, 'out');
  mkdirSync(join(trainOut, 'full'), { recursive: true });
  writeFileSync(join(trainOut, 'spec.json'), JSON.stringify(specOf('orchard-tiny-2')));
  writeFileSync(join(trainOut, 'metrics.jsonl'), '');
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
    copyFileSync(join(ROOT, 'public/models/orchard-tiny-2', f), join(trainOut, 'full', f));
  }
}, 60_000);

describe('orchard eval: the baseline and the recorded base', () => {
  it('refuses an adapter trained on another model than the spec names, saying both and the fix', async () => {
    const r = await orchardOutcome('eval', '--spec', spec.tiny, '--model', adapterDir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /LoRA adapter trained on "orchard-tiny-2" \(.*adapter_config\.json base_model_name_or_path\)/,
    );
    expect(r.stderr).toMatch(/the spec's model is "orchard-tiny"/);
    expect(r.stderr).toMatch(/evaluate it with a spec whose model is "orchard-tiny-2"/);
  }, 60_000);

  it('evaluates it with the spec of its base, naming the baseline model, which it really is', async () => {
    const { stdout, stderr } = await orchard('eval', '--spec', spec.tiny2, '--model', adapterDir);
    const out = JSON.parse(stdout);
    expect(out.baseline).toBe('reference-model');
    expect(out.baselineModel).toBe('orchard-tiny-2');
    expect(out.trainedFrom).toEqual({ adapter: 'orchard-tiny-2' });
    expect(stderr).toMatch(/baseline: answers of the spec's model "orchard-tiny-2", untrained/);
    // B = 0: the adapted model is its base, so against that base every comparison ties.
    const [report] = out.reports;
    expect(report.winRate.n).toBe(3);
    expect([report.winRate.ties, report.winRate.rate]).toEqual([3, 0.5]);
  }, 120_000);

  it('evaluates a full model fine-tuned from another model against the spec model, with a warning', async () => {
    const { stdout, stderr } = await orchard('eval', '--spec', spec.tiny, '--model', trainOut);
    const out = JSON.parse(stdout);
    expect(out.baselineModel).toBe('orchard-tiny');
    expect(out.trainedFrom).toEqual({ full: 'orchard-tiny-2' });
    expect(stderr).toMatch(
      /warning: .*full was fine-tuned from "orchard-tiny-2" \(.*spec\.json\), not from the spec's model "orchard-tiny"/,
    );
    expect(stderr).toMatch(/--spec .*out[/\\]spec\.json/);
    // The baseline is orchard-tiny, another model: its answers are not all the candidate's.
    expect(out.reports[0].winRate.ties).toBeLessThan(3);
  }, 120_000);

  it('says in --help what the baseline is and what is checked', async () => {
    const { stdout } = await orchard('eval', '--help');
    expect(stdout).toMatch(/The baseline is the spec's\s+model/);
    expect(stdout).toMatch(/"baselineModel"/);
    expect(stdout).toMatch(/must be the spec's model for an adapter/);
  }, 30_000);
});
