/**
 * `--backend webgpu` on the `logps` and `loss` commands, spawned as users run them, against the
 * same commands on the CPU backend (run in-process). Tiny GPT-2 (n_embd 16) with the real GPT-2
 * vocabulary, so the tied 50257-row embedding and lm_head go through the WebGPU kernels.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runLogps } from '../../src/cli/commands/logps.ts';
import { run as runLoss } from '../../src/cli/commands/loss.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { randomModel } from '../../src/engine/models/init.ts';
import { modelFiles } from '../../src/engine/models/save.ts';
import { Rng } from '../../src/engine/random.ts';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TOKENIZER = join(ROOT, '..', 'shared', 'data', 'tokenizers', 'gpt2');
const ROWS = [
  {
    i_chosen: 'Create a list of four fruits',
    r_chosen: 'Apple, Orange, Banana',
    i_reject: 'Name two colors',
    r_reject: 'Seven',
  },
];
let dir = '';
let data = '';

beforeAll(() => {
  const config = parseConfig({
    model_type: 'gpt2',
    vocab_size: 50257,
    n_positions: 64,
    n_embd: 16,
    n_layer: 1,
    n_head: 2,
  });
  const model = randomModel('tiny-gpt2', config, new Rng(3), 0.1);
  dir = mkdtempSync(join(tmpdir(), 'orchard-webgpu-cli-'));
  for (const [k, v] of Object.entries(modelFiles(model))) writeFileSync(join(dir, k), v);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TOKENIZER, f), join(dir, f));
  data = join(dir, 'rows.jsonl');
  writeFileSync(data, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
});

async function spawnOrchard(...args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    maxBuffer: 1 << 26,
  });
  return stdout;
}

/** Runs a command module in-process and returns what it printed. */
async function inProcess(run: (argv: string[]) => Promise<number>, args: string[]): Promise<string> {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    out += `${parts.join(' ')}\n`;
  });
  try {
    expect(await run(args)).toBe(0);
  } finally {
    write.mockRestore();
    log.mockRestore();
  }
  return out;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('orchard CLI with --backend webgpu', () => {
  it('logps matches the CPU backend', async () => {
    const args = ['--model', dir, '--data', data, '--mode', 'joint'];
    const gpu = JSON.parse(await spawnOrchard('logps', ...args, '--backend', 'webgpu'));
    const cpu = JSON.parse(await inProcess(runLogps, [...args, '--backend', 'cpu']));
    for (const side of ['chosen', 'rejected'] as const) {
      expect(gpu[side].ids).toEqual(cpu[side].ids);
      expect(rel(gpu[side].logp, cpu[side].logp)).toBeLessThan(1e-5);
    }
  });

  it('loss (SimPO, with gradients) matches the CPU backend', async () => {
    const args = ['--model', dir, '--data', data, '--objective', 'simpo', '--beta', '2'];
    const gpu = JSON.parse(await spawnOrchard('loss', ...args, '--backend', 'webgpu'));
    const cpu = JSON.parse(await inProcess(runLoss, [...args, '--backend', 'cpu']));
    expect(rel(gpu.loss, cpu.loss)).toBeLessThan(1e-5);
    expect(rel(gpu.grad_norm, cpu.grad_norm)).toBeLessThan(1e-4);
    expect(cpu.grad_norm).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(cpu.metrics as Record<string, number>)) {
      expect(Math.abs(gpu.metrics[k] - v)).toBeLessThanOrEqual(1e-4 * Math.abs(v) + 1e-6);
    }
  });
});
