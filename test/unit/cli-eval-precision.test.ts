/**
 * `orchard eval` applies the spec's precision as the training run's own evaluation did, spawned as
 * a user runs it. Under "precision": "f16-weights" training rounds what it freezes to f16 (under
 * LoRA: every base weight; the adapters stay f32); full fine-tuning freezes nothing, so nothing is
 * rounded. The independent reference is the eval.json `orchard train` wrote from memory; eval reads
 * the saved files:
 * - a LoRA run with f16-weights: evaluating its adapter folder gives the same answers, baselines,
 *   scores and outcomes, item by item, and the same win-rate;
 * - the same adapter evaluated with the spec set to f32 (what eval did before it read the precision)
 *   does not: so the first check can fail;
 * - a full fine-tune with f16-weights is reproduced with nothing rounded.
 * In process, the loader eval uses (lab/pipeline/trained-model.ts) gives the logits of the training
 * policy's own store, bit for bit, for an adapter whose values f16 cannot hold: rounding the adapters
 * too (or not rounding the base) would change them. At the CLI sizes the adapters move too little
 * for their rounding to show in the answers, so this is where that half of the rule is tested.
 * Greedy answers of the tiny model do not move under f16 rounding (its top tokens win by wide
 * margins), so these specs sample the answers at temperature 1 (seeded by the spec), where the
 * rounding does change some of them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Generator, type Precision, Rng } from '../../src/engine/index.ts';
import { Policy } from '../../src/lab/pipeline/policy.ts';
import { generatorFor } from '../../src/lab/pipeline/trained-model.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { DEFAULT_SPEC } from '../../src/lab/spec.ts';
import { orchard, ROOT, smallSpec } from './small-experiment.ts';

const specOf = (lora: boolean) =>
  smallSpec({
    version: 2,
    name: `eval precision ${lora ? 'lora' : 'full'}`,
    seed: 3,
    steps: 3,
    model: { source: 'bundled', id: 'orchard-tiny' },
    runs: [{ label: 'DPO', objective: 'dpo', pairs: 'conditional' }],
    precision: 'f16-weights',
    ...(lora ? {} : { lora: { enabled: false } }),
    eval: { nTest: 8, maxNewTokens: 16, temperature: 1 },
  });

interface SavedRun {
  folder: string;
  report: { winRate: unknown };
  items: unknown[];
}

let dir = '';

/** Trains `spec` into DIR/name; the saved run and its adapter or model folder. */
async function train(name: string, spec: object): Promise<{ out: string; run: SavedRun; initialMeanScore: number }> {
  const specFile = join(dir, `${name}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const out = join(dir, name);
  await orchard('train', '--spec', specFile, '--backend', 'cpu', '--out', out);
  const saved = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
  return { out, run: saved.runs[0], initialMeanScore: saved.initialMeanScore };
}

/** `orchard eval --spec SPEC --model DIR` on the CPU: the printed object and stderr. */
async function evaluate(specFile: string, model: string) {
  const { stdout, stderr } = await orchard('eval', '--spec', specFile, '--model', model, '--backend', 'cpu');
  return { out: JSON.parse(stdout), stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-eval-precision-'));
});

describe('orchard eval: the spec precision, as in training', () => {
  let lora: Awaited<ReturnType<typeof train>>;

  beforeAll(async () => {
    lora = await train('lora', specOf(true));
  }, 180_000);

  it('reproduces a LoRA run trained with f16-weights item by item, from its adapter folder', async () => {
    const { out, stderr } = await evaluate(join(lora.out, 'spec.json'), join(lora.out, lora.run.folder));
    expect(stderr).toMatch(/precision f16-weights is EMULATED/);
    expect(stderr).toMatch(/rounded here: the spec's model under the adapters and as the baseline/);
    const label = lora.run.folder;
    expect(out.itemsByRun[label]).toHaveLength(8);
    expect(out.itemsByRun[label]).toEqual(lora.run.items);
    expect(out.reports[0].winRate).toEqual(lora.run.report.winRate);
    expect(out.baselineMeanScore).toBeCloseTo(lora.initialMeanScore, 12);
  }, 120_000);

  it('does not reproduce it with the weights left f32: the check above can fail', async () => {
    const spec = JSON.parse(readFileSync(join(lora.out, 'spec.json'), 'utf8'));
    const f32File = join(dir, 'lora-f32.json');
    writeFileSync(f32File, JSON.stringify({ ...spec, precision: 'f32' }));
    const { out, stderr } = await evaluate(f32File, join(lora.out, lora.run.folder));
    expect(stderr).not.toMatch(/precision f16-weights/);
    const items = out.itemsByRun[lora.run.folder];
    expect(items).toHaveLength(8);
    expect(items).not.toEqual(lora.run.items);
  }, 120_000);

  it('reproduces a full fine-tune with f16-weights, where nothing was frozen and nothing is rounded', async () => {
    const full = await train('full', specOf(false));
    const { out, stderr } = await evaluate(join(full.out, 'spec.json'), join(full.out, full.run.folder));
    expect(stderr).toMatch(/the spec trains every weight \(no LoRA\), so its model and full models stay f32/);
    expect(out.itemsByRun[full.run.folder]).toEqual(full.run.items);
    expect(out.reports[0].winRate).toEqual(full.run.report.winRate);
  }, 240_000);

  it('says in --help that precision follows the spec', async () => {
    const { stdout } = await orchard('eval', '--help');
    expect(stdout).toMatch(/Precision follows the spec/);
    expect(stdout).toMatch(/rounded to f16; adapters and fully fine-tuned models stay f32/);
  }, 30_000);
});

describe("the loader eval uses holds an adapter as the training policy's store does", () => {
  it('gives the f16-weights policy logits bit for bit: base rounded, adapters f32', async () => {
    const { model, name } = await (await nodeResolvers({ root: ROOT })).model({
      source: 'bundled',
      id: 'orchard-tiny',
    });
    const backend = new CpuBackend();
    const policy = new Policy(model, DEFAULT_SPEC.lora, 7, backend, undefined, 'f16-weights');
    // Trained-looking adapters: B away from 0, and values f16 cannot hold exactly.
    const rng = new Rng(11);
    const trained = await policy.readTrainable();
    for (const [k, w] of trained) if (k.endsWith('lora_B.weight')) trained.set(k, rng.normals(w.length, 0.05));
    policy.loadTrainable(trained);
    const adapter = policy.files(trained, name);
    const files = {
      config: adapter['adapter_config.json'] as string,
      safetensors: adapter['adapter_model.safetensors'] as Uint8Array,
    };
    const prompt = [[1, 5, 9, 14, 3, 22]];
    const opts = { maxNewTokens: 4, returnLogits: true };
    const fromPolicy = new Generator(policy.model, policy.store, { build: policy.build });
    const expected = (await fromPolicy.generate(prompt, opts)).logits;
    fromPolicy.dispose();
    const logitsWith = async (basePrecision: Precision) => {
      const g = generatorFor(model, backend, files, policy.kernels, basePrecision);
      try {
        return (await g.generator.generate(prompt, opts)).logits;
      } finally {
        g.dispose();
      }
    };
    expect(await logitsWith('f16-weights')).toEqual(expected);
    expect(await logitsWith('f32')).not.toEqual(expected);
    policy.dispose();
    backend.dispose();
  }, 60_000);
});
