/**
 * Files the experiment commands (train, eval, export) read alike: the spec file a user names, and a
 * model's tokenizer files, copied next to a saved full model so that folder loads on its own.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExperimentSpec, formatSpecErrors, parseSpecJson } from '../lab/spec.ts';

/** The repository's public/models (bundled models), wherever the command is run from. */
export const BUNDLED_MODELS_DIR = fileURLToPath(new URL('../../public/models', import.meta.url));

/**
 * The experiment spec in `file` (a partial spec is completed with the defaults), or null after
 * printing, as `<command>: ...`, why it cannot be read or what in it is wrong.
 */
export async function readSpecFile(command: string, file: string): Promise<ExperimentSpec | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    console.error(`${command}: cannot read the spec ${file}: ${(err as Error).message}`);
    return null;
  }
  const parsed = parseSpecJson(text);
  if (!parsed.ok) {
    console.error(`${command}: ${file} is not a valid experiment spec:\n${formatSpecErrors(parsed.errors)}`);
    return null;
  }
  return parsed.spec;
}

/** Tokenizer files of a bundled or local model (those it has); none for other sources. */
export async function tokenizerFiles(
  spec: ExperimentSpec,
  modelsDir = BUNDLED_MODELS_DIR,
): Promise<Record<string, Uint8Array>> {
  const dir =
    spec.model.source === 'bundled'
      ? join(modelsDir, spec.model.id)
      : spec.model.source === 'local'
        ? spec.model.path
        : null;
  const out: Record<string, Uint8Array> = {};
  if (!dir) return out;
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) {
    try {
      out[name] = await readFile(join(dir, name));
    } catch {
      // optional: a model folder without tokenizer files still trains from pairs.jsonl
    }
  }
  return out;
}
