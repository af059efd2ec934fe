/**
 * The exported PyTorch project on a Llama-shaped model (grouped-query attention, RoPE, SwiGLU,
 * untied head; random weights, the bundled tokenizer) with full fine-tuning, gradient
 * accumulation, clipping, and two objectives with different log-probs and losses (JPO: joint
 * sums; ORPO: conditional per-token means plus the chosen NLL). Data are given rows (no judge).
 * - one process: the first 10 steps of each run equal Orchard's CPU backend within 1e-4;
 * - the trained model folders it writes give the training pairs Orchard's log-probs (1e-4);
 * - torchrun with 2 processes: the same curves as one process (1e-4).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/models/config.ts';
import { expectedParams, modelFromWeights } from '../../src/engine/models/index.ts';
import { llamaArchitecture } from '../../src/engine/models/llama.ts';
import { modelFiles } from '../../src/engine/models/save.ts';
import { Rng } from '../../src/engine/random.ts';
import type { TorchProject } from '../../src/lab/export/torch-project.ts';
import type { ExperimentResult } from '../../src/lab/pipeline/index.ts';
import {
  BUNDLED,
  expectSameCurves,
  expectSameTrainedLogps,
  exportTo,
  fullSpec,
  type MetricLine,
  orchardLines,
  trainThreeWays,
} from './export-torch-helpers.ts';

/** A small random Llama (Rng-seeded weights) with the bundled model's tokenizer files. */
function writeTinyLlama(dir: string): void {
  const config = parseConfig({
    model_type: 'llama',
    vocab_size: 949,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    bos_token_id: 948,
    eos_token_id: 948,
  });
  const rng = new Rng(3);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of expectedParams(llamaArchitecture(config))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const w = rng.normals(n, shape.length === 1 ? 0.1 : 0.08);
    if (shape.length === 1) for (let i = 0; i < n; i++) w[i] += 1; // norm weights near 1
    weights.set(name, w);
  }
  const files = modelFiles(modelFromWeights('tiny-llama', config, weights));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), files['config.json']);
  writeFileSync(join(dir, 'model.safetensors'), files['model.safetensors']);
  for (const f of ['tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(BUNDLED, 'orchard-tiny', f), join(dir, f));
}

const FRUITS = ['apple', 'banana', 'cherry', 'grape', 'kiwi', 'lemon', 'mango', 'orange', 'pear', 'plum'];
const ROWS = FRUITS.flatMap((f, i) => {
  const g = FRUITS[(i + 3) % FRUITS.length];
  const ask = `List two fruits other than ${f}`;
  return [
    { i_chosen: ask, r_chosen: `${g}, ${FRUITS[(i + 5) % 10]}`, i_reject: ask, r_reject: `${f}, ${g}, ${f}` },
    { i_chosen: ask, r_chosen: `${g}, kiwi`, i_reject: `List two beach activities`, r_reject: `${f}` },
  ];
});

const SPEC_NAME = 'llama full';
let dir = '';
let project: TorchProject;
let result: ExperimentResult;
let one: MetricLine[];
let two: MetricLine[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-export-llama-'));
  writeTinyLlama(join(dir, 'tiny-llama'));
  const spec = fullSpec({
    version: 1,
    name: 'export llama full',
    seed: 4,
    model: { source: 'local', path: join(dir, 'tiny-llama') },
    data: { source: 'file', rows: ROWS, format: 'jpo', pairing: { mode: 'both' } },
    runs: [
      { label: 'JPO', objective: 'jpo', pairs: 'both' },
      { label: 'ORPO', objective: 'orpo', pairs: 'conditional' },
    ],
    lora: { enabled: false },
    steps: 10,
    batchSize: 3,
    gradAccumulation: 2,
    schedule: { kind: 'linear', warmupSteps: 3 },
    optimizer: { lr: 0.001, maxGradNorm: 1, weightDecay: 0.01 },
    eval: { nTest: 0 },
  });
  project = await exportTo(spec, join(dir, 'project'));
  ({ result, one, two } = await trainThreeWays(spec, join(dir, 'project'), dir));
}, 180_000);

describe('export torch: a Llama-shaped model, full fine-tuning', () => {
  it('one process: every step of both runs equals Orchard CPU within 1e-4', () => {
    const ours = orchardLines(result);
    expect(one).toHaveLength(20);
    expect(one.map((l) => Object.keys(l))).toEqual(ours.map((l) => Object.keys(l)));
    expect(Object.keys(one[10])).toContain('log_odds_ratio');
    expectSameCurves(one, ours, join(dir, 'project'), `${SPEC_NAME}: vs Orchard CPU`);
    expect(Math.max(...one.map((l) => l.grad_norm as number))).toBeGreaterThan(1); // clipping acted
  });

  it("the trained model folders give the training pairs Orchard's log-probs (1e-4)", async () => {
    for (const [k, r] of result.runs.entries()) {
      const pythonDir = join(dir, 'one', project.runs[k].folder);
      const what = `${SPEC_NAME}: ${r.label}`;
      await expectSameTrainedLogps(join(dir, 'project'), r.label, pythonDir, null, { weights: r.trained }, what);
    }
  });

  it('torchrun with 2 processes (DDP, gloo): the same curves as one process within 1e-4', () => {
    expectSameCurves(two, one, join(dir, 'project'), `${SPEC_NAME}: torchrun 2 processes vs 1`);
  });
});
