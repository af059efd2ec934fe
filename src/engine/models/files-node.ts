/** Node-only: a Hugging Face model folder as ModelFiles. Kept apart so browser bundles never import node:fs. */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ModelFiles } from './index.ts';

export function dirFiles(dir: string): ModelFiles {
  return {
    name: basename(resolve(dir)),
    async read(path) {
      try {
        const buf = await readFile(join(dir, path));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new Error(`cannot read ${join(dir, path)}: ${(err as Error).message}`);
      }
    },
  };
}
