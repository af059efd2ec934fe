/**
 * `logps --adapter` and `loss --adapter`: a PEFT adapter written here by hand (PEFT's names and
 * config fields) on the bundled GPT-2, against an independent merge by PEFT's rule
 * W + (alpha / r) B A, transposed for GPT-2's Conv1D (fan_in_fan_out): scoring the merged model
 * folder must give the same log-probs and loss as scoring the base model with --adapter.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runLogps } from '../../src/cli/commands/logps.ts';
import { run as runLoss } from '../../src/cli/commands/loss.ts';
import { Rng } from '../../src/engine/random.ts';
import { readSafetensors, type Tensor, writeSafetensors } from '../../src/engine/safetensors.ts';
import { relErr } from './parity-fixture.ts';

const TINY = join(import.meta.dirname, '..', '..', 'public', 'models', 'orchard-tiny');
const LAYERS = 4;
const D = 128;
const R = 2;
const ALPHA = 6;
const ROWS = [
  { i_chosen: 'Name two fruits', r_chosen: 'Apple, Kiwi', i_reject: 'Name two fruits', r_reject: 'Seven' },
  { i_chosen: 'Name a color', r_chosen: 'Red', i_reject: 'Name a color', r_reject: 'Blue, Kiwi' },
];
let root = '';
let data = '';
let adapterDir = '';
let mergedDir = '';

/** A (r x in) and B (out x r) per layer's c_attn, drawn from a seeded normal. */
function adapterTensors(): Map<string, Tensor> {
  const rng = new Rng(21);
  const out = new Map<string, Tensor>();
  for (let l = 0; l < LAYERS; l++) {
    const m = `base_model.model.transformer.h.${l}.attn.c_attn`;
    out.set(`${m}.lora_A.weight`, { shape: [R, D], data: rng.normals(R * D, 0.3) });
    out.set(`${m}.lora_B.weight`, { shape: [3 * D, R], data: rng.normals(3 * D * R, 0.3) });
  }
  return out;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'orchard-adapter-'));
  data = join(root, 'rows.jsonl');
  writeFileSync(data, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const adapter = adapterTensors();
  adapterDir = join(root, 'adapter');
  mkdirSync(adapterDir);
  writeFileSync(join(adapterDir, 'adapter_model.safetensors'), writeSafetensors(adapter));
  writeFileSync(
    join(adapterDir, 'adapter_config.json'),
    JSON.stringify({
      base_model_name_or_path: 'orchard-tiny',
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: R,
      lora_alpha: ALPHA,
      lora_dropout: 0,
      fan_in_fan_out: true,
      target_modules: ['c_attn'],
      bias: 'none',
    }),
  );
  // The reference merge: Conv1D stores W as [in, out], so W[i, o] += (alpha / r) sum_k B[o, k] A[k, i].
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(TINY, 'model.safetensors'))));
  for (let l = 0; l < LAYERS; l++) {
    const m = `base_model.model.transformer.h.${l}.attn.c_attn`;
    const A = adapter.get(`${m}.lora_A.weight`)?.data as Float32Array;
    const B = adapter.get(`${m}.lora_B.weight`)?.data as Float32Array;
    const W = tensors.get(`transformer.h.${l}.attn.c_attn.weight`)?.data as Float32Array;
    const out = 3 * D;
    for (let i = 0; i < D; i++) {
      for (let o = 0; o < out; o++) {
        let d = 0;
        for (let k = 0; k < R; k++) d += B[o * R + k] * A[k * D + i];
        W[i * out + o] += (ALPHA / R) * d;
      }
    }
  }
  mergedDir = join(root, 'merged');
  cpSync(TINY, mergedDir, { recursive: true });
  writeFileSync(join(mergedDir, 'model.safetensors'), writeSafetensors(tensors));
});

afterEach(() => vi.restoreAllMocks());

/** Runs a command in-process and returns what it wrote to stdout. */
async function stdoutOf(run: (argv: string[]) => Promise<number>, argv: string[]): Promise<string> {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(`${a.join(' ')}\n`));
  expect(await run(argv)).toBe(0);
  vi.restoreAllMocks();
  return out.join('');
}

const logpsOf = (text: string) =>
  text
    .trim()
    .split('\n')
    .flatMap((l) => {
      const row = JSON.parse(l);
      return [row.chosen.logp, row.rejected.logp];
    });

describe('--adapter', () => {
  it('logps equals scoring the independently merged model, and differs from the base', async () => {
    const withAdapter = logpsOf(await stdoutOf(runLogps, ['--model', TINY, '--data', data, '--adapter', adapterDir]));
    const merged = logpsOf(await stdoutOf(runLogps, ['--model', mergedDir, '--data', data]));
    const base = logpsOf(await stdoutOf(runLogps, ['--model', TINY, '--data', data]));
    expect(relErr(withAdapter, merged)).toBeLessThan(1e-5);
    expect(relErr(withAdapter, base)).toBeGreaterThan(1e-2);
  });

  it('loss scores the adapted policy against the base model as reference', async () => {
    const args = ['--data', data, '--objective', 'dpo', '--beta', '0.5'];
    const withAdapter = JSON.parse(await stdoutOf(runLoss, ['--model', TINY, '--adapter', adapterDir, ...args]));
    const merged = JSON.parse(await stdoutOf(runLoss, ['--model', mergedDir, '--ref', TINY, ...args]));
    expect(relErr([withAdapter.loss], [merged.loss])).toBeLessThan(1e-5);
    expect(Math.abs(withAdapter.loss - Math.LN2)).toBeGreaterThan(1e-3);
  });

  it('names what is wrong with an adapter folder', async () => {
    await expect(runLogps(['--model', TINY, '--data', data, '--adapter', data])).rejects.toThrow(
      `--adapter ${data} is a file; expected a PEFT adapter folder`,
    );
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await expect(runLogps(['--model', TINY, '--data', data, '--adapter', empty])).rejects.toThrow(
      /--adapter .*empty: adapter_config.json is missing; a PEFT adapter folder holds/,
    );
    const other = join(root, 'other');
    cpSync(adapterDir, other, { recursive: true });
    const extra = adapterTensors();
    extra.set('base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight', {
      shape: [R, D],
      data: new Float32Array(R * D),
    });
    writeFileSync(join(other, 'adapter_model.safetensors'), writeSafetensors(extra));
    await expect(runLogps(['--model', TINY, '--data', data, '--adapter', other])).rejects.toThrow(
      /has "base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight", which target_modules \["c_attn"\] does not select/,
    );
  });
});
