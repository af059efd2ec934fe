/**
 * Shared by the tests that train a small experiment, in-process or through the CLI: the small
 * classroom spec they vary, and `orchard` spawned as a user runs it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/** Classroom-task data: `nInstructions` instructions x 3 sampled answers, `budget` judge calls. */
export function smallData(budget = 24, nInstructions = 8) {
  return { nInstructions, candidatesPerInstruction: 3, pairing: { budget } };
}

const SMALL = {
  data: smallData(),
  batchSize: 2,
  schedule: { warmupSteps: 1 },
  eval: { nTest: 4, maxNewTokens: 16 },
};

/**
 * A spec small enough to train in seconds on the bundled model: smallData(), batches of 2, one
 * warm-up step, 4 held-out questions with 16-token answers. `fields` replace whole top-level fields
 * (name, seed and the training length are the caller's); a partial spec, completed by the defaults.
 */
export function smallSpec<const T extends object>(fields: T): typeof SMALL & T {
  return { ...SMALL, ...fields };
}

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `orchard ARGS` from the repository root, as a user runs it; a failing command resolves with its exit code. */
export function orchardOutcome(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, maxBuffer: 1 << 26 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** `orchard ARGS` that must succeed: its output; a failing command throws with its exit code and stderr. */
export async function orchard(...args: string[]): Promise<Outcome> {
  const outcome = await orchardOutcome(...args);
  if (outcome.code !== 0) throw new Error(`orchard ${args.join(' ')} exited ${outcome.code}:\n${outcome.stderr}`);
  return outcome;
}
