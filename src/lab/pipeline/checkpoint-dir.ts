/** Node only: a CheckpointStore in a folder, one file per key (written to a temp name, then renamed). */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointStore } from '../checkpoint.ts';

export class DirCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string) {}

  async save(key: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileOf(key);
    await writeFile(`${file}.tmp`, bytes);
    await rename(`${file}.tmp`, file);
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

  /** Removes every checkpoint (a fresh start). */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private fileOf(key: string): string {
    return join(this.dir, `${encodeURIComponent(key)}.ckpt`);
  }
}
