/**
 * The lab end to end, on the REAL pipeline in the real worker on WebGPU (SwiftShader here), with the
 * bundled model: a short DPO vs JPO comparison fills both runs' charts, the win-rate table and the
 * samples; the run is saved; its share link, opened in a fresh browser context and run again,
 * reproduces the first 20 logged losses exactly (same backend); a saved run redraws after a reload
 * and an exported run bundle imports into another context, without retraining.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeShareLink } from '../../src/lab/share-link.ts';
import { ARTIFACTS_DIR, type LabPage } from './harness.ts';
import {
  chartPoints,
  configureQuickRun,
  downloadText,
  exportSavedMetrics,
  labForFile,
  lossesFromCsv,
  screenshotTop,
  waitForRunEnd,
} from './lab-helpers.ts';

/** A comparison small enough for SwiftShader: 20 steps (the reproduced losses), few items. */
function useTinySpec(page: LabPage['page']): Promise<void> {
  return configureQuickRun(page, 'Tiny comparison', {
    'data.nInstructions': '6',
    'data.candidatesPerInstruction': '3',
    'data.pairing.budget': '16',
    batchSize: '2',
    steps: '20',
    'eval.nTest': '2',
    'eval.maxNewTokens': '8',
    // WebGPU by name: "auto" would pick the CPU on this software adapter.
    backend: 'webgpu',
  });
}

const RUN_TIMEOUT = 240_000;

const lab = labForFile();
let first: LabPage;
let original: Record<string, number[]>;
let shareUrl: string;
let bundle: { name: string; text: string };

beforeAll(async () => {
  first = await lab().open('/');
  await first.page.locator('[data-testid="capability-panel"][data-status="ready"]').waitFor({ timeout: 60_000 });
});

describe('DPO vs JPO comparison', () => {
  it('trains both runs on WebGPU from one click, with live charts, win rates and samples', async () => {
    const { page } = first;
    await useTinySpec(page);
    const started = Date.now();
    await page.getByTestId('compare').click();
    expect(await waitForRunEnd(page, RUN_TIMEOUT)).toBe('done');
    console.log(
      `tiny DPO vs JPO comparison in headless Chromium (SwiftShader): ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    expect(await page.getByTestId('run-status').textContent()).toBe('Done');
    expect(await page.locator('.run-status').textContent()).toContain('backend WebGPU');
    for (const chart of ['loss', 'margins', 'rewards', 'accuracy', 'logps', 'grad-norm', 'lr', 'throughput']) {
      expect(await chartPoints(page, chart), chart).toEqual({ DPO: 20, JPO: 20 });
    }
    // recharts drew a line per run (smoothed and raw) in the loss chart.
    expect(await page.locator('[data-testid="chart-loss"] .recharts-line').count()).toBe(4);
    const rows = page.locator('[data-testid="winrate-table"] tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-run')).toBe('DPO');
    expect(await rows.nth(1).textContent()).toMatch(/JPO\d+\.\d%/);
    const sampleHeads = await page.locator('[data-testid="samples"] thead th').allTextContents();
    expect(sampleHeads.map((t) => t.trim())).toEqual(['Question', 'Before training', 'DPO (step 20)', 'JPO (step 20)']);
    // The bundled model on its task: the panel says what to look for in the samples.
    expect(await page.locator('[data-testid="samples-habit"]').textContent()).toMatch(/one item too many/);
    await page.locator('#train').screenshot({ path: `${ARTIFACTS_DIR}/lab-compare-train.png` });
    await page.locator('#evaluate').screenshot({ path: `${ARTIFACTS_DIR}/lab-compare-evaluate.png` });
    await screenshotTop(first, 'lab-compare');
  });

  it('saves the run, labels how it differs from the defaults, and exports its metrics', async () => {
    const { page } = first;
    const row = page.locator('[data-testid="runs-table"] tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    const chips = await row.locator('[data-testid="diff-labels"] li').allTextContents();
    expect(chips).toEqual(
      // Version-2 defaults train 3 epochs (no step count), so a step count reads as set and epochs as off.
      expect.arrayContaining(['steps 20', 'epochs off', 'instructions 48 → 6', 'batch 8 → 2', 'eval items 32 → 2']),
    );
    await page.locator('#runs').screenshot({ path: `${ARTIFACTS_DIR}/lab-runs-table.png` });
    const csv = await exportSavedMetrics(page);
    expect(csv.name).toMatch(/^tiny-comparison-.*-metrics\.csv$/);
    original = lossesFromCsv(csv.text);
    expect(original.DPO.length).toBe(20);
    expect(original.JPO.length).toBe(20);
    for (const loss of [...original.DPO, ...original.JPO]) expect(Number.isFinite(loss)).toBe(true);
    // Every preference loss starts at log 2: the policy equals the reference at step 1.
    expect(original.DPO[0]).toBeCloseTo(Math.LN2, 3);
    bundle = await downloadText(page, () => row.getByTestId('export-bundle').click());
    expect(bundle.name).toMatch(/^orchard-run-tiny-comparison-.*\.json$/);
    expect(JSON.parse(bundle.text).adapters.map((a: { run: string }) => a.run)).toEqual(['DPO', 'JPO']);
  });

  it('shares the experiment as a link that holds both runs', async () => {
    const { page } = first;
    await first.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Share link' }).click();
    shareUrl = await page.getByTestId('share-url').inputValue();
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shareUrl);
    const decoded = await decodeShareLink(shareUrl);
    if (!decoded.ok) throw new Error(decoded.error.message);
    expect(decoded.spec.runs.map((r) => r.label)).toEqual(['DPO', 'JPO']);
    expect(decoded.spec.steps).toBe(20);
    expect(first.errors).toEqual([]);
    expect(first.blockedRequests).toEqual([]);
  });
});

/** Each run's row of the judge-budget table, cell by cell. */
async function pairingCells(page: LabPage['page']): Promise<Record<string, string[]>> {
  const rows = page.locator('[data-testid="pairing-stats"] tbody tr');
  await rows.first().waitFor();
  const out: Record<string, string[]> = {};
  for (const row of await rows.all()) {
    out[(await row.getAttribute('data-run')) ?? '?'] = (await row.locator('[data-cell]').allTextContents()).map((t) =>
      t.trim(),
    );
  }
  return out;
}

describe('reproducing a shared run', () => {
  let second: LabPage;
  let livePairing: Record<string, string[]> = {};

  it('opens the link in a fresh context and reproduces the first 20 losses of both runs', async () => {
    const url = new URL(shareUrl);
    second = await lab().open(`${url.pathname}${url.search}${url.hash}`);
    const { page } = second;
    await expect.poll(() => page.getByTestId('spec-origin').textContent(), { timeout: 20_000 }).toBe('shared link');
    expect(await page.locator('[data-path="name"] input').inputValue()).toBe('Tiny comparison');
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page, RUN_TIMEOUT)).toBe('done');
    livePairing = await pairingCells(page);
    expect(Object.keys(livePairing)).toEqual(['DPO', 'JPO']);
    const again = lossesFromCsv((await exportSavedMetrics(page)).text);
    expect(again.DPO.slice(0, 20)).toEqual(original.DPO.slice(0, 20));
    expect(again.JPO.slice(0, 20)).toEqual(original.JPO.slice(0, 20));
  });

  it('redraws a saved run after a reload, without training', async () => {
    const { page } = second;
    await page.reload();
    const row = page.locator('[data-testid="runs-table"] tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    expect(await page.getByTestId('run-empty').isVisible()).toBe(true);
    await row.getByRole('button', { name: /^Open/ }).click();
    await page.locator('[data-testid="run-progress"][data-status="done"]').waitFor();
    expect(await page.getByTestId('run-status').textContent()).toBe('Saved run');
    expect(await chartPoints(page, 'loss')).toEqual({ DPO: 20, JPO: 20 });
    // The judge-budget table comes back with the saved run: same counts as the live run showed.
    expect(await pairingCells(page)).toEqual(livePairing);
    expect(await page.locator('[data-testid="winrate-table"] tbody tr').count()).toBe(2);
    expect(second.errors).toEqual([]);
    await second.close();
  });

  it('imports an exported run bundle into another context and redraws it', async () => {
    const third = await lab().open('/');
    const { page } = third;
    await page.getByTestId('import-run').setInputFiles({
      name: bundle.name,
      mimeType: 'application/json',
      buffer: Buffer.from(bundle.text),
    });
    await page.locator('[data-testid="run-progress"][data-status="done"]').waitFor();
    expect(await chartPoints(page, 'loss')).toEqual({ DPO: 20, JPO: 20 });
    expect(await page.locator('[data-testid="runs-table"] tbody tr').count()).toBe(1);
    // A file that is not a run is refused with a reason, and the lab keeps working.
    await page
      .getByTestId('import-run')
      .setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
    await page.locator('[data-notice="import"]').waitFor();
    expect(await page.locator('[data-notice="import"]').textContent()).toContain('not an Orchard run');
    expect(third.errors).toEqual([]);
    await third.close();
  });
});
