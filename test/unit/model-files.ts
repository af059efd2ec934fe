/** In-memory model folders for the model-loading tests; `reads` records every path asked for. */
import type { ModelFiles } from '../../src/engine/models/index.ts';

export function memFiles(files: Record<string, Uint8Array | string>): ModelFiles & { reads: string[] } {
  const reads: string[] = [];
  return {
    name: 'mem',
    reads,
    async read(path) {
      reads.push(path);
      const f = Object.hasOwn(files, path) ? files[path] : undefined;
      if (f === undefined) return null;
      return typeof f === 'string' ? new TextEncoder().encode(f) : f;
    },
  };
}
