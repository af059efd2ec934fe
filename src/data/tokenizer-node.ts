/**
 * Node-only: reads tokenizer.json and tokenizer_config.json from a folder. Kept apart from
 * tokenizer.ts (which imports it lazily) so browser bundles never pull in node:fs.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

export async function readTokenizerDir(
  dir: string,
): Promise<{ tokenizerJson: unknown; tokenizerConfig: unknown; name: string }> {
  const tokenizerJson = await readJson(join(dir, 'tokenizer.json'), true);
  const tokenizerConfig = (await readJson(join(dir, 'tokenizer_config.json'), false)) ?? {};
  return { tokenizerJson, tokenizerConfig, name: basename(resolve(dir)) };
}

async function readJson(path: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path}: ${(err as Error).message}; a tokenizer folder needs tokenizer.json`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}
