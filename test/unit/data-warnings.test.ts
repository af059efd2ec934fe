/**
 * Data that imports, but with something taken silently: invalid UTF-8 (TextDecoder turns it into
 * U+FFFD) and keys repeated in one JSON object (JSON.parse keeps the last). Each becomes a warning
 * naming the line, in the import result and in `data inspect`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run as runData } from '../../src/cli/commands/data.ts';
import { findDuplicateKey } from '../../src/data/formats/json-keys.ts';
import { invalidUtf8Lines, Utf8LineChecker } from '../../src/data/formats/utf8-check.ts';
import { importPreferences } from '../../src/data/import.ts';
import { Rng } from '../../src/engine/random.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const row = (r: string) => `{"i_chosen": "q", "r_chosen": "${r}", "i_reject": "q", "r_reject": "b"}`;
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Independent reference: a line is bad when a fatal TextDecoder refuses it on its own. */
function referenceBadLines(bytes: Uint8Array): number[] {
  const bad: number[] = [];
  let start = 0;
  let line = 1;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 10) continue;
    try {
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start, i));
    } catch {
      bad.push(line);
    }
    start = i + 1;
    line++;
  }
  return bad;
}

describe('invalid UTF-8', () => {
  it('matches a fatal decoder line by line on random bytes split into random chunks', () => {
    const rng = new Rng(11);
    // Bytes drawn to hit every class: ASCII, newlines, leads, continuations, invalid bytes.
    const pool = [0x41, 0x0a, 0x0a, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    for (let trial = 0; trial < 300; trial++) {
      const bytes = Uint8Array.from({ length: 1 + rng.int(40) }, () => {
        return pool[rng.int(pool.length)];
      });
      const checker = new Utf8LineChecker();
      let at = 0;
      while (at < bytes.length) {
        const n = 1 + rng.int(5);
        checker.push(bytes.subarray(at, at + n));
        at += n;
      }
      checker.end();
      expect(checker.badLines, `bytes ${[...bytes].map((b) => b.toString(16))}`).toEqual(referenceBadLines(bytes));
    }
    // Valid text, including a real U+FFFD and 4-byte characters, has no bad line.
    expect(invalidUtf8Lines(enc('a\uFFFDb\n\u{1F600}é\n'))).toEqual([]);
  });

  it('is a warning naming the line in the import result; the rows still load', async () => {
    const bytes = concat(
      enc(`${row('a')}\n`),
      enc(`${row('x')}\n`).map((b) => (b === 0x78 ? 0xff : b)),
      enc(row('c')),
    );
    for (const chunks of [[bytes], [bytes.subarray(0, 90), bytes.subarray(90)]]) {
      const r = await importPreferences(chunks);
      expect(r.pairs.map((p) => p.r_chosen)).toEqual(['a', '\uFFFD', 'c']);
      expect(r.problems).toEqual([]);
      expect(r.warnings).toEqual([{ line: 2, reason: expect.stringMatching(/^invalid UTF-8 bytes, read as U\+FFFD/) }]);
    }
    // A sequence cut off by the end of the file.
    const cut = await importPreferences(concat(enc(`${row('a')}\n`), Uint8Array.from([0xe2, 0x82])));
    expect(cut.warnings.map((w) => w.line)).toEqual([2]);
  });
});

describe('duplicate JSON keys', () => {
  it('finds the first key repeated within one object, and only within one object', () => {
    expect(findDuplicateKey('{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}')).toBeNull();
    expect(findDuplicateKey('{"a": 1, "b": 2, "a": 3}')).toEqual({ key: 'a', offset: 17 });
    // Escapes are compared decoded; strings holding quotes, braces and colons are not keys.
    expect(findDuplicateKey('{"ab": 1, "a\\u0062": 2}')?.key).toBe('ab');
    expect(findDuplicateKey('{"s": "\\"a\\": {", "a": "}: \\\\", "t": ["a", "a"]}')).toBeNull();
    expect(findDuplicateKey('{"x": {"k": 1, "k": 2}}')?.key).toBe('k');
  });

  it('is a warning naming the line and key, in JSON Lines and in JSON documents', async () => {
    const dup = '{"i_chosen": "q", "r_chosen": "a", "i_reject": "q", "r_reject": "b", "r_chosen": "z"}';
    const jsonl = await importPreferences(`${row('a')}\n${dup}\n`);
    expect(jsonl.pairs[1].r_chosen).toBe('z');
    expect(jsonl.warnings).toEqual([
      { line: 2, reason: 'key "r_chosen" appears twice in one object; the last value was used (remove or rename one)' },
    ]);
    const doc = `[\n${row('a')},\n{"i_chosen": "q",\n "r_chosen": "a",\n "r_chosen": "b",\n "i_reject": "q", "r_reject": "b"}\n]`;
    const json = await importPreferences(doc);
    expect(json.container).toBe('json');
    expect(json.warnings.map((w) => [w.line, w.reason.slice(0, 14)])).toEqual([[5, 'key "r_chosen"']]);
  });
});

describe('orchard data inspect', () => {
  it('lists the warnings with their lines and still exits 0 (no row was skipped)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orchard-warn-'));
    const file = join(dir, 'rows.jsonl');
    const bad = enc(`${row('b?')}\n`).map((b) => (b === 0x3f ? 0xc0 : b)); // an overlong lead byte
    writeFileSync(file, concat(enc(`${row('a')}\n`), bad));
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      expect(await runData(['inspect', file])).toBe(0);
      expect(await runData(['inspect', file, '--json'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(lines[0]).toContain('problems: none');
    expect(lines[0]).toMatch(/warnings: 1 .*\n {2}line 2: invalid UTF-8 bytes/);
    const json = JSON.parse(lines[1]);
    expect(json.summary.warnings).toBe(1);
    expect(json.warnings).toEqual([{ line: 2, reason: expect.stringContaining('invalid UTF-8') }]);
  });

  it('names a folder given as the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orchard-folder-'));
    await expect(runData(['inspect', dir])).rejects.toThrow(`data inspect: ${dir} is a folder; a file is expected`);
  });
});
