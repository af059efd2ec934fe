/**
 * Node-only: reads an input file with errors that name the path and say what was expected (a
 * folder, a missing file), instead of a bare EISDIR/ENOENT. Kept apart so browser bundles never
 * import node:fs.
 */
import { readFile, stat } from 'node:fs/promises';

/** `what` names the input in messages, e.g. "--data" or "data.path". */
export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  await checkInputFile(path, what);
  const buf = await readFile(path).catch((err: Error) => {
    throw new Error(`${what}: cannot read ${path}: ${err.message}`);
  });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Throws unless `path` is an existing file (not a folder). */
export async function checkInputFile(path: string, what: string): Promise<void> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new Error(`${what}: ${path} does not exist; give the path of a data file`);
    throw new Error(`${what}: cannot read ${path}: ${err.message}`);
  });
  if (info.isDirectory()) {
    throw new Error(`${what}: ${path} is a folder; a file is expected (JSON Lines, JSON or CSV rows)`);
  }
}
