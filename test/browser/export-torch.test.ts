/**
 * "Export as PyTorch project" in the built lab: the zip it downloads holds exactly the files that
 * `orchard export torch` writes for the same spec (byte for byte: same pairs, feed order, plan,
 * model and train.py), read back with Python's zipfile.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { encodeShareLink } from '../../src/lab/share-link.ts';
import { exportTo, fullSpec, PYTHON } from '../unit/export-torch-helpers.ts';
import { smallData } from '../unit/small-experiment.ts';
import { inNewTab, labForFile } from './lab-helpers.ts';

const lab = labForFile();

const SPEC = fullSpec({
  version: 1,
  name: 'Export from the lab',
  seed: 9,
  data: smallData(12, 6),
  steps: 3,
  batchSize: 2,
  schedule: { warmupSteps: 1 },
  eval: { nTest: 4, maxNewTokens: 12 },
});

describe('Export as PyTorch project', () => {
  it('downloads the same files as orchard export torch, as one zip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orchard-export-lab-'));
    await exportTo(SPEC, join(dir, 'cli'));
    const link = await encodeShareLink(SPEC);
    await inNewTab(lab(), `/${link.fragment}`, async (tab) => {
      const { page } = tab;
      await page.locator('[data-notice="share-link-ok"]').waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Share link' }).click();
      const [download] = (await Promise.all([
        page.waitForEvent('download', { timeout: 120_000 }),
        page.getByRole('button', { name: 'Export as PyTorch project' }).click(),
      ])) as [Download, unknown];
      expect(download.suggestedFilename()).toBe('export-from-the-lab-pytorch.zip');
      const chunks: Buffer[] = [];
      for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
      writeFileSync(join(dir, 'lab.zip'), Buffer.concat(chunks));
      await expect.poll(() => page.getByTestId('export-torch').textContent()).toMatch(/Saved .*\.zip/);
    });
    execFileSync(PYTHON, [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      join(dir, 'lab.zip'),
      join(dir, 'lab'),
    ]);
    const files = [
      'README.md',
      'spec.json',
      'plan.json',
      'pairs.jsonl',
      'train.py',
      'model/config.json',
      'model/model.safetensors',
      'model/tokenizer.json',
      'model/tokenizer_config.json',
    ];
    for (const f of files) {
      const fromLab = readFileSync(join(dir, 'lab', 'export-from-the-lab-pytorch', f));
      expect(fromLab.equals(readFileSync(join(dir, 'cli', f))), f).toBe(true);
    }
  }, 180_000);
});
