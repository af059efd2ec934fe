/**
 * The lab's bundled paper data (public/data/paper/) is exactly the first rows of the paper's own
 * files (read from the shared copy of github.com/Hritikbansal/jpo), within the 2 MB budget, with its
 * license beside it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BUNDLED = join(ROOT, 'public', 'data', 'paper');
const PAPER = join(ROOT, '..', 'shared', 'data', 'jpo-paper');

const rowsOf = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

describe('bundled slices of the paper data', () => {
  const files = ['anthropic_helpful', 'tldr'].flatMap((dir) =>
    readdirSync(join(BUNDLED, dir)).map((f) => `${dir}/${f}`),
  );

  it('are the first rows of the paper files, unchanged', () => {
    expect(files.sort()).toEqual([
      'anthropic_helpful/test.jsonl',
      'anthropic_helpful/val_conditional_pref.jsonl',
      'anthropic_helpful/val_sft.jsonl',
      'tldr/test.json',
    ]);
    for (const file of files) {
      const slice = rowsOf(join(BUNDLED, file));
      expect(slice.length, file).toBeGreaterThanOrEqual(100);
      expect(slice, file).toEqual(rowsOf(join(PAPER, file)).slice(0, slice.length));
    }
  });

  it('fit the 2 MB budget and carry the MIT license', () => {
    const total = files.reduce((sum, f) => sum + statSync(join(BUNDLED, f)).size, 0);
    expect(total).toBeLessThanOrEqual(2 * 1024 * 1024);
    const readme = readFileSync(join(BUNDLED, 'README.md'), 'utf8');
    expect(readme).toMatch(/MIT License/);
    expect(readme).toMatch(/Copyright \(c\) 2024 Hritikbansal/);
  });
});
