/**
 * Several data files per spec (`data.path` or `data.file` as a list): read in the order listed, each
 * with its own format detection, rows concatenated; a skipped row names its file and line, and a
 * file with no usable row stops the run naming that file. Also on the paper's own files (a
 * conditional preference file and an SFT file, read from the shared copy of the paper's repository).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeResolvers, type Resolvers } from '../../src/lab/resolve.ts';
import { parseSpec } from '../../src/lab/spec.ts';

const PAPER = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'jpo-paper', 'anthropic_helpful');

let dir = '';
let resolvers: Resolvers;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-files-'));
  // TRL rows (conditional), line 2 lacks "rejected".
  writeFileSync(
    join(dir, 'trl.jsonl'),
    [
      { prompt: 'Name a fruit', chosen: 'Kiwi', rejected: 'Rock' },
      { prompt: 'Name a tool', chosen: 'Hammer' },
      { prompt: 'Name a color', chosen: 'Red', rejected: 'Seven' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  // The paper's rows (joint), named .json but JSON Lines; line 2 is not JSON.
  writeFileSync(
    join(dir, 'joint.json'),
    [
      JSON.stringify({ i_chosen: 'List fruits', r_chosen: 'Kiwi, Fig', i_reject: 'List tools', r_reject: 'Kiwi' }),
      '{"i_chosen": "broken',
      JSON.stringify({ i_chosen: 'List colors', r_chosen: 'Red', i_reject: 'List seas', r_reject: 'Red, Blue' }),
    ].join('\n'),
  );
  writeFileSync(join(dir, 'empty.jsonl'), `${JSON.stringify({ note: 'nothing usable' })}\n`);
  resolvers = await nodeResolvers({ root: dir });
});

describe('several data files', () => {
  it('concatenates the files in the order listed, each detecting its own format', async () => {
    const data = await resolvers.data({ source: 'file', path: ['trl.jsonl', 'joint.json'], format: 'auto' });
    expect(data.pairs.map((p) => p.i_chosen)).toEqual(['Name a fruit', 'Name a color', 'List fruits', 'List colors']);
    expect(data.pairs[0].i_reject).toBe('Name a fruit');
    expect(data.pairs[3].i_reject).toBe('List seas');
    const reversed = await resolvers.data({ source: 'file', path: ['joint.json', 'trl.jsonl'], format: 'auto' });
    expect(reversed.pairs.map((p) => p.i_chosen)).toEqual([
      'List fruits',
      'List colors',
      'Name a fruit',
      'Name a color',
    ]);
    expect(data.source).toBe('trl.jsonl + joint.json');
  });

  it('names the file and line of every skipped row', async () => {
    const data = await resolvers.data({ source: 'file', path: ['trl.jsonl', 'joint.json'], format: 'auto' });
    expect(data.problems.map((p) => [p.file, p.line])).toEqual([
      ['trl.jsonl', 2],
      ['joint.json', 2],
    ]);
    expect(data.problems[0].reason).toContain('rejected');
  });

  it('stops on a file with no usable row, naming it', async () => {
    await expect(
      resolvers.data({ source: 'file', path: ['trl.jsonl', 'empty.jsonl'], format: 'auto' }),
    ).rejects.toThrow(/^empty\.jsonl: no usable rows \(line 1: cannot tell the format/);
  });

  it("reads the paper's conditional pairs and SFT rows together", async () => {
    const paper = await nodeResolvers({ root: PAPER });
    const data = await paper.data({
      source: 'file',
      path: ['val_conditional_pref.jsonl', 'val_sft.jsonl'],
      format: 'auto',
    });
    const lines = (f: string) =>
      readFileSync(join(PAPER, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
    const prefs = lines('val_conditional_pref.jsonl').map((l) => JSON.parse(l));
    const sft = lines('val_sft.jsonl').map((l) => JSON.parse(l));
    expect(data.pairs).toHaveLength(prefs.length);
    expect(data.candidates).toHaveLength(sft.length);
    expect(data.pairs[prefs.length - 1].r_chosen).toBe(prefs[prefs.length - 1].r_chosen);
    expect(data.candidates[0]).toMatchObject({ instruction: sft[0].instruction, response: sft[0].response });
    expect(data.problems).toEqual([]);
  });
});

describe('the spec takes a list of files', () => {
  const spec = (path: unknown) =>
    parseSpec({ version: 2, data: { source: 'file', path }, eval: { judge: 'reward-model' } });

  it('accepts one path or a list', () => {
    expect(spec('a.jsonl').ok).toBe(true);
    const list = spec(['a.jsonl', 'b.json']);
    expect(list.ok && list.spec.data).toMatchObject({ path: ['a.jsonl', 'b.json'] });
  });

  it('says what is wrong with a bad list, and where', () => {
    const empty = spec([]);
    expect(!empty.ok && empty.errors).toEqual([
      { path: 'data.path', message: expect.stringContaining('must list 1 to 16 files (got 0)') },
    ]);
    const bad = spec(['a.jsonl', 3]);
    expect(!bad.ok && bad.errors.map((e) => e.path)).toEqual(['data.path[1]']);
  });
});
