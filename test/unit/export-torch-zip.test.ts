/**
 * The lab's "Export as PyTorch project" zip (src/lab/export/zip.ts), read back by an independent
 * reader: Python's zipfile (which checks every CRC) must list the same names and contents.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, zipFiles } from '../../src/lab/export/zip.ts';
import { PYTHON } from './export-torch-helpers.ts';

describe('export torch: the zip download', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it("Python's zipfile reads every file back with its CRC checked", () => {
    const bytes = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 31 + 7) & 0xff);
    const files = { 'README.md': '# héllo\n', 'model/model.safetensors': bytes, 'pairs.jsonl': '', 'a/b/c.txt': 'x' };
    const file = join(mkdtempSync(join(tmpdir(), 'orchard-zip-')), 'project.zip');
    writeFileSync(file, zipFiles(files));
    const script = `import zipfile, json, sys, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))`;
    const listed = JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }));
    const sha = (b: Uint8Array | string) =>
      execFileSync(PYTHON, ['-c', 'import sys, hashlib; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'], {
        input: b,
        encoding: 'utf8',
      }).trim();
    expect(Object.keys(listed)).toEqual(Object.keys(files));
    for (const [name, content] of Object.entries(files)) expect(listed[name]).toBe(sha(content));
  });
});
