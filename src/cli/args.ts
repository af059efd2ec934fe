/**
 * Flag parsing shared by the CLI commands. Mistakes in how a command is called (an unknown flag,
 * a flag without its value, a missing required flag, a stray argument) are UsageErrors: runCommand
 * prints them with the command's usage and returns exit code 2. A flag whose value is wrong (not a
 * number, not one of the choices) throws a plain Error that names the flag and what it accepts.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec = { type: 'string'; default?: string; short?: string } | { type: 'boolean'; short?: string };

export type FlagSpecs = Record<string, FlagSpec>;

/** A flag with a value (`--model DIR`), optionally with a default. */
export const TEXT = { type: 'string' } as const;
export const textOr = <const D extends string>(dflt: D) => ({ type: 'string', default: dflt }) as const;
/** A flag without a value (`--json`). */
export const SWITCH = { type: 'boolean' } as const;

export interface CommandSpec<F extends FlagSpecs, R extends keyof F & string> {
  /** As typed after `orchard` ('loss', 'data pairs'); starts every message. */
  name: string;
  usage: string;
  flags: F;
  /** String flags that must be given. */
  required?: readonly R[];
  /** Names of the positional arguments, all required ('FILE'); none when absent. */
  positionals?: readonly string[];
}

/** Booleans are false when absent; strings are undefined unless required or defaulted. */
export type FlagValues<F extends FlagSpecs, R extends keyof F & string> = {
  [K in keyof F]: F[K] extends { type: 'boolean' }
    ? boolean
    : K extends R
      ? string
      : F[K] extends { default: string }
        ? string
        : string | undefined;
};

export interface ParsedCommand<F extends FlagSpecs, R extends keyof F & string> {
  values: FlagValues<F, R>;
  positionals: string[];
}

const flagName = (name: string) => `--${name}`;

/** "a", "a and b", "a, b and c". */
function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/**
 * Turns node:util's parse errors into messages that say which flag and what to do; with `flags`,
 * an unknown flag's message lists the known ones.
 */
export function explainParseError(err: unknown, flags?: FlagSpecs): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | null)?.code;
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const known = flags ? ` (known flags: ${Object.keys(flags).map(flagName).join(', ')})` : '';
    return `unknown flag ${flag}${known}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('does not take an argument')) return `${flag} takes no value`;
    if (message.includes('ambiguous')) return `${flag} needs a value, but the next argument is a flag`;
    return `${flag} needs a value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`;
  }
  return message;
}

/** Parses `argv` against `spec`; throws a UsageError (message prefixed with the command) on misuse. */
export function parseCommand<const F extends FlagSpecs, const R extends keyof F & string = never>(
  spec: CommandSpec<F, R>,
  argv: readonly string[],
): ParsedCommand<F, R> {
  const fail = (problem: string): never => {
    throw new UsageError(`${spec.name}: ${problem}`);
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: spec.flags, allowPositionals: true, strict: true });
  } catch (err) {
    return fail(explainParseError(err, spec.flags));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const required = spec.required ?? [];
  const missing = required.filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    const all = listWords(required.map(flagName));
    fail(`${all} ${required.length === 1 ? 'is' : 'are'} required; missing ${listWords(missing.map(flagName))}`);
  }
  const names = spec.positionals ?? [];
  const positionals = parsed.positionals;
  if (positionals.length > names.length) fail(`unexpected argument "${positionals[names.length]}"`);
  if (positionals.length < names.length) fail(`missing ${listWords(names.slice(positionals.length))}`);
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (flag.type === 'boolean') values[name] = values[name] === true;
  }
  return { values: values as FlagValues<F, R>, positionals };
}

/**
 * A command's `run`: prints the usage for --help / -h (exit 0), parses, and runs `body`. A
 * UsageError (from parsing or from `body`) prints with the usage and gives exit code 2; any other
 * error propagates (main.ts prints it, exit code 1).
 */
export async function runCommand<const F extends FlagSpecs, const R extends keyof F & string = never>(
  spec: CommandSpec<F, R>,
  argv: readonly string[],
  body: (parsed: ParsedCommand<F, R>) => Promise<number>,
): Promise<number> {
  const beforeTerminator = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (beforeTerminator.includes('--help') || beforeTerminator.includes('-h')) {
    console.log(spec.usage);
    return 0;
  }
  try {
    return await body(parseCommand(spec, argv));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${spec.usage}`);
    return 2;
  }
}

/** A finite number, or undefined when the flag is absent. */
export function numberFlag(flag: string, value: string): number;
export function numberFlag(flag: string, value: string | undefined): number | undefined;
export function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw new Error(`${flag} must be a number; got "${value}"`);
  return x;
}

/** A whole number >= 0, or undefined when the flag is absent. */
export function countFlag(flag: string, value: string): number;
export function countFlag(flag: string, value: string | undefined): number | undefined;
export function countFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new Error(`${flag} must be a whole number >= 0; got "${value}"`);
  }
  return n;
}

/** One of `allowed`, or undefined when the flag is absent. */
export function choiceFlag<const T extends string>(flag: string, value: string, allowed: readonly T[]): T;
export function choiceFlag<const T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined;
export function choiceFlag<const T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    const choices = allowed.length === 2 ? allowed.join(' or ') : `one of ${allowed.join(', ')}`;
    throw new Error(`${flag} must be ${choices}; got "${value}"`);
  }
  return value as T;
}
