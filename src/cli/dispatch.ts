/**
 * The command table and dispatch behind `npm run orchard -- <command> [...args]` (main.ts runs it).
 * Each command lives in its own module under ./commands and exports `run(argv): Promise<number>`.
 *
 * One convention for every command: misuse (unknown flag, a flag without its value, a stray
 * argument) prints what is wrong and the command's usage on stderr and gives exit code 2. Most
 * commands do this through args.ts's runCommand; for any that parse with node:util's parseArgs
 * directly, its parse errors are caught here and given the same treatment.
 */
import { explainParseError } from './args.ts';

export const COMMANDS: Record<string, { module: string; summary: string }> = {
  'gpu-info': { module: './commands/gpu-info.ts', summary: 'print the WebGPU capability report as JSON' },
  logps: { module: './commands/logps.ts', summary: 'sequence log-probs for each data row (JSON Lines)' },
  loss: { module: './commands/loss.ts', summary: 'mean preference loss, metrics and grad norm over a data file' },
  data: { module: './commands/data.ts', summary: 'data inspect FILE | data pairs --task apples ...' },
  train: { module: './commands/train.ts', summary: 'run an experiment spec' },
  eval: { module: './commands/eval.ts', summary: 'win-rate report for a trained model' },
  export: {
    module: './commands/export.ts',
    summary: 'export torch --spec FILE --out DIR: a PyTorch project (torchrun)',
  },
};

type CommandModule = { run(argv: string[]): Promise<number> };

export function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: npm run orchard -- <command> [options]\n\ncommands:\n${rows.join('\n')}`;
}

/** Runs one command line; returns the exit code (errors other than misuse propagate: exit 1 in main.ts). */
export async function dispatch(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    console.error(`orchard: a command is required\n\n${usage()}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    console.error(`orchard: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(cmd.module)) as CommandModule;
  try {
    return await mod.run(rest);
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    console.error(`${name}: ${explainParseError(err)}\n\n${await usageOf(mod)}`);
    return 2;
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** A command's usage text, as its own --help prints it (captured rather than duplicated here). */
async function usageOf(mod: CommandModule): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    await mod.run(['--help']);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}
