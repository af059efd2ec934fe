/**
 * A FileCache in a folder, for the CLI (Node only: import this module lazily, never from code that
 * runs in the browser). File names are SHA-256 hashes of the keys, so no key, however hostile, can
 * name a path outside the folder; a sidecar `.key` file keeps the original key for `keys()`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileCache } from './cache.ts';

export class FsFileCache implements FileCache {
  constructor(private readonly dir: string) {}

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key, '.bin')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // Write then rename, so a crash never leaves a truncated file that a later get() would return.
    const tmp = this.pathOf(key, `.tmp-${process.pid}-${Date.now()}`);
    await writeFile(tmp, bytes);
    await writeFile(this.pathOf(key, '.key'), key, 'utf8');
    await rename(tmp, this.pathOf(key, '.bin'));
  }

  async keys(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const keys: string[] = [];
    for (const name of names) {
      if (!name.endsWith('.key') || !names.includes(name.replace(/\.key$/, '.bin'))) continue;
      keys.push(await readFile(join(this.dir, name), 'utf8'));
    }
    return keys;
  }

  private pathOf(key: string, suffix: string): string {
    return join(this.dir, createHash('sha256').update(key).digest('hex') + suffix);
  }
}
