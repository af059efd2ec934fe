/**
 * The `logps` and `loss` commands, spawned as external scripts run them, on a tiny GPT-2 (n_embd 16)
 * with the real GPT-2 tokenizer in a temp folder. Checked against independent computations: ids
 * from the tokenizer and the paper's template by hand, log-probs summed on the host from the
 * model's logits, the DPO loss recomposed from `logps` outputs, and the written gradients against
 * a finite difference along a random direction.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runLogps } from '../../src/cli/commands/logps.ts';
import { run as runLoss } from '../../src/cli/commands/loss.ts';
import { loadTokenizer } from '../../src/data/tokenizer.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph } from '../../src/engine/graph.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { randomModel } from '../../src/engine/models/init.ts';
import { modelFiles } from '../../src/engine/models/save.ts';
import { evaluateObjective } from '../../src/engine/objectives/evaluate.ts';
import { Rng } from '../../src/engine/random.ts';
import { computeReferenceTable } from '../../src/engine/reference.ts';
import { readSafetensors } from '../../src/engine/safetensors.ts';
import { must } from './engine-helpers.ts';
import { relErr, runGraph } from './parity-fixture.ts';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TOKENIZER = join(ROOT, '..', 'shared', 'data', 'tokenizers', 'gpt2');
const config = parseConfig({
  model_type: 'gpt2',
  vocab_size: 50257,
  n_positions: 128,
  n_embd: 16,
  n_layer: 2,
  n_head: 2,
});
const policy = randomModel('tiny-gpt2', config, new Rng(5), 0.1);
const refModel = randomModel('tiny-ref', config, new Rng(6), 0.1);
const ROWS = [
  {
    i_chosen: 'Create a list of four fruits',
    r_chosen: 'Apple, Orange, Banana, Grape',
    i_reject: 'Create a list of beach activities',
    r_reject: "wear sunscreen, don't litter",
  },
  { i_chosen: 'Name two colors', r_chosen: 'Red, blue', i_reject: 'Name two colors', r_reject: 'Seven' },
];
let dir = '';
let refDir = '';
let data = '';

async function orchard(...args: string[]) {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    maxBuffer: 1 << 26,
  });
  return stdout;
}

function writeModel(to: string, model: typeof policy) {
  for (const [k, v] of Object.entries(modelFiles(model))) writeFileSync(join(to, k), v);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-cli-'));
  refDir = mkdtempSync(join(tmpdir(), 'orchard-cli-ref-'));
  writeModel(dir, policy);
  writeModel(refDir, refModel);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TOKENIZER, f), join(dir, f));
  data = join(dir, 'rows.jsonl');
  writeFileSync(data, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
});

/** Summed log-probs of one unpadded sequence, from the logits on the host. */
async function hostLogp(ids: number[], mask: number[]): Promise<number> {
  const T = ids.length;
  const g = new Graph();
  const idsIn = g.input('ids', [1, T], 'i32');
  const logits = policy.buildLogits(g, idsIn, g.input('keyMask', [1, T]));
  const [out] = await runGraph(g, [logits], policy.weights, {
    ids: Int32Array.from(ids),
    keyMask: new Float32Array(T).fill(1),
  });
  const V = config.vocabSize;
  let total = 0;
  for (let t = 1; t < T; t++) {
    if (!mask[t]) continue;
    const row = out.subarray((t - 1) * V, t * V);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    total += row[ids[t]] - max - Math.log(z);
  }
  return total;
}

describe('orchard logps', () => {
  it('prints one line per row with the template ids, masks and host-verified log-probs', async () => {
    const tok = await loadTokenizer({ dir: TOKENIZER });
    for (const mode of ['joint', 'conditional'] as const) {
      const lines = (await orchard('logps', '--model', dir, '--data', data, '--mode', mode))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.row)).toEqual([0, 1]);
      for (const [i, r] of ROWS.entries()) {
        for (const [side, ins, resp] of [
          ['chosen', r.i_chosen, r.r_chosen],
          ['rejected', r.i_reject, r.r_reject],
        ] as const) {
          const s = lines[i][side];
          const prompt = tok.encode(`### Instructions: ${ins}\n\n### Response:`);
          const expectedIds = [50256, ...prompt, ...tok.encode(` ${resp}`), 50256];
          expect(s.ids).toEqual(expectedIds);
          const first = mode === 'joint' ? 1 : 1 + prompt.length;
          expect(s.mask).toEqual(expectedIds.map((_, t) => (t >= first ? 1 : 0)));
          expect(relErr([s.logp], [await hostLogp(s.ids, s.mask)])).toBeLessThan(1e-5);
        }
      }
    }
  });
});

describe('orchard loss', () => {
  it('dpo with --ref equals the loss recomposed from logps outputs', async () => {
    const out = JSON.parse(
      await orchard('loss', '--model', dir, '--data', data, '--objective', 'dpo', '--ref', refDir, '--beta', '0.5'),
    );
    const pol = (await orchard('logps', '--model', dir, '--data', data))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // The reference's sums, on the same ids and masks.
    const rows = pol.flatMap((l) => [l.chosen, l.rejected]);
    const refTable = await computeReferenceTable(
      { kind: 'model', model: refModel },
      { model: policy, weights: policy.weights },
      { chosen: rows.filter((_, k) => k % 2 === 0), rejected: rows.filter((_, k) => k % 2 === 1) },
      { backend: new CpuBackend(), padId: 50256 },
    );
    const ref = must(refTable, 'reference table');
    const losses = pol.map((l, i) => {
      const h = l.chosen.logp - l.rejected.logp - (ref.chosen.sum[i] - ref.rejected.sum[i]);
      return Math.log1p(Math.exp(-0.5 * h));
    });
    expect(relErr([out.loss], [(losses[0] + losses[1]) / 2])).toBeLessThan(1e-4);
    const margin = pol.map(
      (l, i) => 0.5 * (l.chosen.logp - ref.chosen.sum[i] - (l.rejected.logp - ref.rejected.sum[i])),
    );
    expect(relErr([out.metrics['rewards/margins']], [(margin[0] + margin[1]) / 2])).toBeLessThan(1e-4);
    expect(out.metrics['rewards/accuracies']).toBe(margin.filter((m) => m > 0).length / 2);
    expect(out.grad_norm).toBeGreaterThan(0);
  });

  it('--grads-out writes every parameter under HF names; a finite difference confirms it', async () => {
    const gradsFile = join(dir, 'grads.safetensors');
    const out = JSON.parse(
      await orchard('loss', '--model', dir, '--data', data, '--objective', 'jpo', '--grads-out', gradsFile),
    );
    // No --ref: the reference is the policy itself, so h = 0 and the loss is log 2.
    expect(out.loss).toBeCloseTo(Math.LN2, 6);
    expect(out.metrics['rewards/accuracies']).toBe(0);
    const grads = readSafetensors(new Uint8Array(readFileSync(gradsFile))).tensors;
    expect([...grads.keys()].sort()).toEqual([...policy.weights.keys()].sort());
    let sq = 0;
    for (const t of grads.values()) for (const v of t.data) sq += v * v;
    expect(relErr([Math.sqrt(sq)], [out.grad_norm])).toBeLessThan(1e-4);

    // d/de loss(θ + e·d) at 0 == <grad, d>, with the reference held at θ (as the CLI holds it).
    const tok = await loadTokenizer({ dir: TOKENIZER });
    const { encodePair } = await import('../../src/data/sequence.ts');
    const pairs = {
      chosen: ROWS.map((r) => encodePair(tok, r.i_chosen, r.r_chosen, { mode: 'joint' })),
      rejected: ROWS.map((r) => encodePair(tok, r.i_reject, r.r_reject, { mode: 'joint' })),
    };
    const backend = new CpuBackend();
    const reference = await computeReferenceTable(
      { kind: 'initial' },
      { model: policy, weights: policy.weights },
      pairs,
      { backend, padId: 50256 },
    );
    const rng = new Rng(9);
    const names = ['transformer.h.1.attn.c_attn.weight', 'transformer.h.0.mlp.c_fc.bias', 'transformer.ln_f.weight'];
    const dirs = new Map(names.map((n) => [n, rng.normals(must(policy.weights.get(n), n).length)]));
    const lossAt = async (e: number) => {
      const w = new Map(policy.weights);
      for (const [n, d] of dirs)
        w.set(
          n,
          Float32Array.from(must(policy.weights.get(n), n), (v, i) => v + e * d[i]),
        );
      return (
        await evaluateObjective({
          model: policy,
          weights: w,
          backend,
          objective: 'jpo',
          pairs,
          reference,
          padId: 50256,
        })
      ).loss;
    };
    const e = 1e-2;
    const numeric = ((await lossAt(e)) - (await lossAt(-e))) / (2 * e);
    let analytic = 0;
    for (const [n, d] of dirs) {
      const g = grads.get(n)?.data ?? new Float32Array(0);
      for (let i = 0; i < g.length; i++) analytic += g[i] * d[i];
    }
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(numeric - analytic)).toBeLessThan(2e-2 * Math.abs(analytic) + 1e-5);
  });

  it('explains bad arguments', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    try {
      expect(await runLoss(['--model', dir, '--data', data])).toBe(2);
      expect(errors.join('\n')).toMatch(/--objective are required/);
      await expect(runLoss(['--model', dir, '--data', data, '--objective', 'kto'])).rejects.toThrow(
        /unknown objective "kto"/,
      );
      await expect(runLogps(['--model', dir, '--data', data, '--mode', 'both'])).rejects.toThrow(
        /--mode must be joint or conditional/,
      );
    } finally {
      spy.mockRestore();
    }
  });
});
