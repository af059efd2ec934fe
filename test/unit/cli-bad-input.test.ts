/**
 * The CLI under careless input: unknown flags (exit 2 with usage, for every command), data and
 * model paths of the wrong kind, label smoothing out of range, a model whose outputs overflow
 * (an error, never "logp": null with exit 0), and BOM + CRLF data files (read like LF files).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runLogps } from '../../src/cli/commands/logps.ts';
import { run as runLoss } from '../../src/cli/commands/loss.ts';
import { dispatch } from '../../src/cli/dispatch.ts';
import { readSafetensors, writeSafetensors } from '../../src/engine/safetensors.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import type { DataSpec } from '../../src/lab/spec.ts';

const TINY = join(import.meta.dirname, '..', '..', 'public', 'models', 'orchard-tiny');
const ROWS = [
  { i_chosen: 'Name two fruits', r_chosen: 'Apple, Kiwi', i_reject: 'Name two fruits', r_reject: 'Seven' },
  { i_chosen: 'Name a color', r_chosen: 'Red', i_reject: 'Name a number', r_reject: 'Blue' },
];
let dir = '';
let data = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-bad-input-'));
  data = join(dir, 'rows.jsonl');
  writeFileSync(data, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
});

afterEach(() => vi.restoreAllMocks());

/** Runs `fn` with console.log/error captured. */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    return { result: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    stdout.mockRestore();
  }
}

describe('misuse gives exit code 2 and the usage, for every command', () => {
  it.each([
    ['gpu-info', '--bogus'],
    ['logps', '--bogus'],
    ['loss', '--bogus'],
    ['data', 'inspect', '--bogus'],
    ['data', 'pairs', '--bogus'],
    ['train', '--bogus'],
    ['eval', '--bogus'],
  ])('%s %s', async (...argv) => {
    const { result, err } = await captured(() => dispatch(argv));
    expect(result).toBe(2);
    expect(err).toMatch(/(unknown flag|unexpected argument) "?--bogus/);
    expect(err).toContain('usage:');
  });

  it('no command, or no data subcommand: what is missing, on stderr', async () => {
    for (const [argv, missing] of [
      [[], 'orchard: a command is required'],
      [['data'], 'data: a subcommand is required (inspect or pairs)'],
    ] as const) {
      const { result, out, err } = await captured(() => dispatch(argv));
      expect(result).toBe(2);
      expect(out).toBe('');
      expect(err).toContain(missing);
      expect(err).toContain('usage:');
    }
  });

  it('a flag without its value, and a stray argument, to train and eval', async () => {
    for (const argv of [
      ['train', '--spec'],
      ['eval', 'stray', '--spec', 'x', '--model', 'y'],
    ]) {
      const { result, err } = await captured(() => dispatch(argv));
      expect(result, argv.join(' ')).toBe(2);
      expect(err).toMatch(/needs a value|unexpected argument "?stray/);
      expect(err).toContain(`npm run orchard -- ${argv[0]}`);
    }
  });
});

describe('paths of the wrong kind', () => {
  it('a folder as --data, a file as --model or --ref', async () => {
    await expect(runLogps(['--model', TINY, '--data', dir])).rejects.toThrow(
      `--data: ${dir} is a folder; a file is expected`,
    );
    await expect(runLogps(['--model', data, '--data', data])).rejects.toThrow(
      `--model ${data} is a file; expected a model folder`,
    );
    await expect(runLoss(['--model', TINY, '--data', data, '--objective', 'dpo', '--ref', data])).rejects.toThrow(
      `--ref ${data} is a file; expected a model folder`,
    );
  });

  it("a folder as a spec's data.path", async () => {
    const resolvers = await nodeResolvers({ root: dir });
    // Only the origin fields matter to the resolver; the rest of the data spec is the pipeline's.
    const fileAt = (path: string) => ({ source: 'file', path, format: 'auto' }) as unknown as DataSpec;
    await expect(resolvers.data(fileAt('.'))).rejects.toThrow(`data.path: ${dir} is a folder; a file is expected`);
    await expect(resolvers.data(fileAt('nope.jsonl'))).rejects.toThrow(
      `data.path: ${join(dir, 'nope.jsonl')} does not exist`,
    );
  });
});

describe('loss --label-smoothing', () => {
  it.each(['2', '0.5', '-0.1'])('%s is refused for cdpo and robust, with the bound', async (eps) => {
    for (const objective of ['cdpo', 'robust']) {
      const argv = ['--model', TINY, '--data', data, '--objective', objective, `--label-smoothing=${eps}`];
      await expect(runLoss(argv)).rejects.toThrow(`loss: --label-smoothing must be in [0, 0.5)`);
    }
  });
});

describe('non-finite results', () => {
  it('a model whose logits overflow is an error in logps and loss, not null with exit 0', async () => {
    const big = mkdtempSync(join(tmpdir(), 'orchard-overflow-'));
    cpSync(TINY, big, { recursive: true });
    const file = join(big, 'model.safetensors');
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(file)));
    const lnf = [...tensors.keys()].find((k) => k.endsWith('ln_f.weight')) ?? 'ln_f.weight';
    // Finite weights (so loading accepts them) whose logits exceed the f32 range.
    tensors.get(lnf)?.data.fill(3e38);
    writeFileSync(file, writeSafetensors(tensors));
    await expect(captured(() => runLogps(['--model', big, '--data', data]))).rejects.toThrow(
      /^logps: the chosen log-prob of row 0 is NaN; the model's outputs overflow/,
    );
    await expect(captured(() => runLoss(['--model', big, '--data', data, '--objective', 'dpo']))).rejects.toThrow(
      /^loss: the loss is NaN; /,
    );
  });
});

describe('BOM and CRLF data files', () => {
  it('give the same logps as the plain file', async () => {
    const crlf = join(dir, 'rows-bom-crlf.jsonl');
    writeFileSync(crlf, `\uFEFF${ROWS.map((r) => JSON.stringify(r)).join('\r\n')}\r\n`);
    const plain = await captured(() => runLogps(['--model', TINY, '--data', data]));
    const bom = await captured(() => runLogps(['--model', TINY, '--data', crlf]));
    expect(bom.result).toBe(0);
    expect(plain.out.trim().split('\n')).toHaveLength(2);
    expect(bom.out).toBe(plain.out);
  });
});
