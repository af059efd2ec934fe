import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/data.ts';
import { importPreferences } from '../../src/data/import.ts';
import { scoreApples } from '../../src/data/tasks/apples.ts';

const dir = mkdtempSync(join(tmpdir(), 'orchard-data-cli-'));

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  try {
    const code = await run(argv);
    return { code, out: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('orchard data inspect', () => {
  it('summarises the paper file in text and JSON', async () => {
    const file = '../shared/data/jpo-paper/anthropic_helpful/val_conditional_pref.jsonl';
    const text = await capture(['inspect', file]);
    expect(text.code).toBe(0);
    expect(text.out).toContain('pairs: 363 (363 conditional');
    expect(text.out).toContain('problems: none');
    const json = await capture(['inspect', file, '--json']);
    const parsed = JSON.parse(json.out);
    expect(parsed.summary).toMatchObject({ pairs: 363, conditional: 363, joint: 0, format: 'paper' });
  });

  it('lists every problem with its line and exits 1', async () => {
    const file = join(dir, 'broken.jsonl');
    writeFileSync(
      file,
      '{"i_chosen": "q", "r_chosen": "a", "i_reject": "q", "r_reject": "b"}\n{oops\n{"i_chosen": "q"}\n',
    );
    const { code, out } = await capture(['inspect', file]);
    expect(code).toBe(1);
    expect(out).toMatch(/line 2: invalid JSON at column 2: /);
    expect(out).toContain('line 3: missing field r_chosen');
  });
});

describe('orchard data pairs --task apples', () => {
  it('writes oracle-consistent pairs in the paper format and prints the counts', async () => {
    const out = join(dir, 'apples.jsonl');
    const { code, out: printed } = await capture([
      'pairs',
      '--task',
      'apples',
      '--seed',
      '3',
      '--out',
      out,
      '--n-instructions',
      '6',
      '--json',
    ]);
    expect(code).toBe(0);
    const { counts } = JSON.parse(printed);
    const imported = await importPreferences(readFileSync(out));
    expect(imported.problems).toEqual([]);
    expect(imported.pairs).toHaveLength(counts.conditionalKept + counts.jointKept);
    expect(counts.comparisonsAsked).toBe(2 * (counts.conditionalPlanned + counts.jointPlanned));
    expect(counts.consistent + counts.ties).toBe(counts.conditionalPlanned + counts.jointPlanned);
    imported.pairs.forEach((row, k) => {
      const chosen = scoreApples(row.i_chosen, row.r_chosen).score;
      const rejected = scoreApples(row.i_reject, row.r_reject).score;
      expect(chosen).toBeGreaterThan(rejected);
      expect(row.i_chosen === row.i_reject).toBe(k < counts.conditionalKept);
    });
  });

  it('explains missing and wrong options', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    expect(await run(['pairs', '--task', 'apples', '--out', join(dir, 'x.jsonl')])).toBe(2);
    expect(errors.join('\n')).toMatch(/^data pairs: --task, --seed and --out are required; missing --seed\n\nusage:/);
    await expect(run(['pairs', '--task', 'mnist', '--seed', '1', '--out', join(dir, 'x.jsonl')])).rejects.toThrow(
      /--task must be apples/,
    );
    await expect(run(['pairs', '--task', 'apples', '--seed', '1.5', '--out', join(dir, 'x.jsonl')])).rejects.toThrow(
      /--seed must be a whole number >= 0; got "1.5"/,
    );
  });
});
