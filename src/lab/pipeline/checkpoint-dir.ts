/**
 * Node only: files written atomically (a temporary name in the same folder, then renamed, so a
 * reader or a crash never sees half a file), and a CheckpointStore in a folder, one file per key.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CheckpointStore } from '../checkpoint.ts';

/** Writes `content` to `file` through a temporary file in the same folder and a rename. */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array | AsyncIterable<string | Uint8Array>,
): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export class DirCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string) {}

  async save(key: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.fileOf(key), bytes);
  }

  async load(key: string): Promise<Uint8Array | null> {
    try {
      const buf = await readFile(this.fileOf(key));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  describe(key: string): { where: string; fix: string } {
    const file = this.fileOf(key);
    return { where: file, fix: `delete ${file} or rerun without --resume` };
  }

  /** Removes every checkpoint (a fresh start). */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private fileOf(key: string): string {
    return join(this.dir, `${encodeURIComponent(key)}.ckpt`);
  }
}
