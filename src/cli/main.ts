/**
 * `npm run orchard -- <command> [...args]`. Each command lives in its own module under
 * ./commands and exports `run(argv: string[]): Promise<number>` (the exit code).
 */
const COMMANDS: Record<string, { module: string; summary: string }> = {
  'gpu-info': { module: './commands/gpu-info.ts', summary: 'print the WebGPU capability report as JSON' },
  logps: { module: './commands/logps.ts', summary: 'sequence log-probs for each data row (JSON Lines)' },
  loss: { module: './commands/loss.ts', summary: 'mean preference loss, metrics and grad norm over a data file' },
  data: { module: './commands/data.ts', summary: 'data inspect FILE | data pairs --task apples ...' },
  train: { module: './commands/train.ts', summary: 'run an experiment spec' },
  eval: { module: './commands/eval.ts', summary: 'win-rate report for a trained model' },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: npm run orchard -- <command> [options]\n\ncommands:\n${rows.join('\n')}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`orchard: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(cmd.module)) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`orchard: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.ORCHARD_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = 1;
  },
);
