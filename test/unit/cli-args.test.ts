/** The CLI's shared flag parser (src/cli/args.ts): values, defaults, and the message for each misuse. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { choiceFlag, countFlag, numberFlag, parseCommand, runCommand, UsageError } from '../../src/cli/args.ts';

const SPEC = {
  name: 'demo',
  usage: 'usage: demo --model DIR [--json]',
  flags: {
    model: { type: 'string' },
    backend: { type: 'string', default: 'cpu' },
    json: { type: 'boolean' },
  },
  required: ['model'],
} as const;

afterEach(() => vi.restoreAllMocks());

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseCommand', () => {
  it('returns strings, defaults, booleans (false when absent) and positionals', () => {
    expect(parseCommand(SPEC, ['--model', 'm'])).toEqual({
      values: { model: 'm', backend: 'cpu', json: false },
      positionals: [],
    });
    expect(parseCommand(SPEC, ['--json', '--model=x', '--backend', 'webgpu']).values).toEqual({
      model: 'x',
      backend: 'webgpu',
      json: true,
    });
    const withFile = { ...SPEC, positionals: ['FILE'] };
    expect(parseCommand(withFile, ['a.jsonl', '--model', 'm']).positionals).toEqual(['a.jsonl']);
  });

  it('names the command, the flag and the fix for each misuse', () => {
    expect(usageError(() => parseCommand(SPEC, ['--model', 'm', '--modle', 'x']))).toBe(
      'demo: unknown flag --modle (known flags: --model, --backend, --json)',
    );
    expect(usageError(() => parseCommand(SPEC, ['--model']))).toBe('demo: --model needs a value');
    expect(usageError(() => parseCommand(SPEC, ['--model', '--json']))).toBe(
      'demo: --model needs a value, but the next argument is a flag',
    );
    expect(usageError(() => parseCommand(SPEC, ['--model', 'm', '--json=yes']))).toBe('demo: --json takes no value');
    expect(usageError(() => parseCommand(SPEC, []))).toBe('demo: --model is required; missing --model');
    const two = {
      ...SPEC,
      flags: { model: { type: 'string' }, backend: { type: 'string' } },
      required: ['model', 'backend'],
    } as const;
    expect(usageError(() => parseCommand(two, []))).toBe(
      'demo: --model and --backend are required; missing --model and --backend',
    );
    expect(usageError(() => parseCommand(SPEC, ['--model', 'm', 'extra']))).toBe('demo: unexpected argument "extra"');
    const withFile = { ...SPEC, positionals: ['FILE'] };
    expect(usageError(() => parseCommand(withFile, ['--model', 'm']))).toBe('demo: missing FILE');
  });
});

describe('runCommand', () => {
  it('prints the usage for --help, and a usage error with the usage and exit code 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
    vi.spyOn(console, 'error').mockImplementation((m: string) => void err.push(m));
    const body = vi.fn(async () => 0);
    expect(await runCommand(SPEC, ['--bogus', '-h'], body)).toBe(0);
    expect(out).toEqual([SPEC.usage]);
    expect(await runCommand(SPEC, ['--bogus'], body)).toBe(2);
    expect(err).toEqual([`demo: unknown flag --bogus (known flags: --model, --backend, --json)\n\n${SPEC.usage}`]);
    expect(body).not.toHaveBeenCalled();
    expect(await runCommand(SPEC, ['--model', 'm'], async ({ values }) => (values.model === 'm' ? 7 : 1))).toBe(7);
    await expect(
      runCommand(SPEC, ['--model', 'm'], async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});

describe('value parsers', () => {
  it('accept valid values, pass undefined through, and reject the rest with flag and value', () => {
    expect(numberFlag('--beta', '0.25')).toBe(0.25);
    expect(numberFlag('--beta', undefined)).toBeUndefined();
    expect(() => numberFlag('--beta', 'abc')).toThrow('--beta must be a number; got "abc"');
    expect(() => numberFlag('--beta', '')).toThrow('--beta must be a number; got ""');
    expect(countFlag('--seed', '12')).toBe(12);
    expect(() => countFlag('--seed', '1.5')).toThrow('--seed must be a whole number >= 0; got "1.5"');
    expect(() => countFlag('--seed', '-3')).toThrow('--seed must be a whole number >= 0; got "-3"');
    expect(choiceFlag('--mode', 'joint', ['joint', 'conditional'])).toBe('joint');
    expect(choiceFlag('--mode', undefined, ['joint', 'conditional'])).toBeUndefined();
    expect(() => choiceFlag('--mode', 'both', ['joint', 'conditional'])).toThrow(
      '--mode must be joint or conditional; got "both"',
    );
    expect(() => choiceFlag('--split', 'dev', ['train', 'test', 'val'])).toThrow(
      '--split must be one of train, test, val; got "dev"',
    );
  });
});
