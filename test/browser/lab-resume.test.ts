/**
 * A run survives a page reload: it checkpoints into IndexedDB while training, and after the reload
 * the lab offers it back (Resume / Discard). A resumed run logs exactly the numbers of an
 * uninterrupted run of the same spec on the same backend (it continues bit-exactly from its
 * checkpoint), and every finished or discarded run leaves no checkpoints behind.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Lab, type LabPage, startLab } from './harness.ts';
import { chartPoints, configureTinyCpuRun, downloadText, setField, waitForRunEnd } from './lab-helpers.ts';

const STEPS = 16;
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ webgpu: false });
});

afterAll(async () => {
  await lab?.close();
});

/** A tiny CPU experiment: a few seconds of training per run. */
function configure(page: Page): Promise<void> {
  return configureTinyCpuRun(page, 'Reload me', { 'data.pairing.budget': '32', steps: String(STEPS) });
}

/** Keys ([namespace, key]) in the checkpoint database, read by the page itself (no database is created when there is none). */
function checkpointKeys(page: Page): Promise<string[][]> {
  return page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'orchard-checkpoints')) return [];
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('orchard-checkpoints');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      if (!db.objectStoreNames.contains('checkpoints')) return [];
      return await new Promise<string[][]>((resolve, reject) => {
        const req = db.transaction('checkpoints').objectStore('checkpoints').getAllKeys();
        req.onsuccess = () => resolve(req.result as string[][]);
        req.onerror = () => reject(req.error);
      });
    } finally {
      db.close();
    }
  });
}

async function checkpointCount(page: Page): Promise<number> {
  return (await checkpointKeys(page)).length;
}

/** The distinct checkpoint namespaces (one per experiment). */
async function checkpointNamespaces(page: Page): Promise<number> {
  return new Set((await checkpointKeys(page)).map((k) => k[0])).size;
}

/** The saved run's metrics CSV without the wall-clock column (tokens_per_s), one string per row. */
async function savedMetrics(page: Page): Promise<string[]> {
  const row = page.locator('[data-testid="runs-table"] tbody tr');
  await expect.poll(() => row.count()).toBe(1);
  await row.locator('summary', { hasText: 'Export' }).click();
  const csv = (await downloadText(page, () => row.getByTestId('export-csv').click())).text;
  const lines = csv.trim().split('\n');
  const clock = lines[0].split(',').indexOf('tokens_per_s');
  expect(clock).toBeGreaterThan(0);
  return lines.map((l) =>
    l
      .split(',')
      .filter((_, i) => i !== clock)
      .join(','),
  );
}

/** Starts the run and reloads the page once DPO has logged steps past its first checkpoint (step 5). */
async function startAndReload(tab: LabPage, dpoSteps: number): Promise<void> {
  await configure(tab.page);
  await tab.page.getByTestId('compare').click();
  await expect
    .poll(async () => (await chartPoints(tab.page, 'loss')).DPO ?? 0, { timeout: 120_000, interval: 100 })
    .toBeGreaterThanOrEqual(dpoSteps);
  expect(await checkpointCount(tab.page)).toBeGreaterThan(0);
  await tab.page.reload();
}

let reference: string[] = [];

it('an uninterrupted run (the reference) leaves no checkpoints', async () => {
  const tab = await lab.open('/');
  await configure(tab.page);
  const t0 = Date.now();
  await tab.page.getByTestId('compare').click();
  expect(await waitForRunEnd(tab.page, 180_000)).toBe('done');
  console.log(`uninterrupted run: ${Date.now() - t0} ms`);
  reference = await savedMetrics(tab.page);
  expect(reference.filter((l) => l.startsWith('DPO,')).length).toBe(STEPS);
  expect(reference.filter((l) => l.startsWith('JPO,')).length).toBe(STEPS);
  expect(await checkpointCount(tab.page)).toBe(0);
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('offers an interrupted run after a reload; Discard deletes it, Resume finishes it bit-exactly', async () => {
  expect(reference.length).toBe(2 * STEPS + 1);
  const tab = await lab.open('/');
  const { page } = tab;
  const notice = page.locator('[data-notice="interrupted-run"]');

  // Discard: the notice goes, the checkpoints go, and a reload offers nothing.
  await startAndReload(tab, 2);
  await notice.waitFor({ timeout: 30_000 });
  expect(await notice.textContent()).toMatch(/Run "Reload me" was interrupted at step \d+ of 16 \(training DPO\)/);
  await notice.getByRole('button', { name: 'Discard' }).click();
  await notice.waitFor({ state: 'detached' });
  await expect.poll(() => checkpointCount(page)).toBe(0);
  await page.reload();
  await page.getByTestId('compare').waitFor();
  await page.waitForTimeout(1000);
  expect(await notice.count()).toBe(0);

  // Resume (from the keyboard): continues from the checkpoint at step 5 and matches the reference.
  await startAndReload(tab, 7);
  await notice.waitFor({ timeout: 30_000 });
  const text = (await notice.textContent()) ?? '';
  const at = Number(text.match(/interrupted at step (\d+) of 16/)?.[1]);
  expect(at).toBeGreaterThanOrEqual(5);
  expect(at % 5).toBe(0);
  await notice.getByRole('button', { name: 'Resume' }).focus();
  await page.keyboard.press('Enter');
  await notice.waitFor({ state: 'detached' });
  expect(await waitForRunEnd(page, 180_000)).toBe('done');
  expect(await chartPoints(page, 'loss')).toEqual({ DPO: STEPS, JPO: STEPS });
  // It did continue from the checkpoint (a fresh start would log the same numbers too).
  const log = (await page.locator('.run-log').textContent()) ?? '';
  expect(log).toContain(`DPO: resumed from the checkpoint at step ${at}`);
  expect(log).not.toContain('kept in memory');
  expect(await savedMetrics(page)).toEqual(reference);
  expect(await checkpointCount(page)).toBe(0);
  expect(await page.evaluate(() => localStorage.getItem('orchard.runInProgress'))).toBeNull();
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('does not offer a run that another tab is still training; offers it once that tab is closed', async () => {
  const tab = await lab.open('/');
  await configure(tab.page);
  await tab.page.getByTestId('compare').click();
  await expect
    .poll(async () => (await chartPoints(tab.page, 'loss')).DPO ?? 0, { timeout: 120_000, interval: 100 })
    .toBeGreaterThanOrEqual(6);
  // Paused, the run stays in progress however slow the machine is.
  await tab.page.getByRole('button', { name: 'Pause' }).click();
  await tab.page.getByRole('button', { name: 'Resume' }).waitFor();
  expect(await checkpointCount(tab.page)).toBeGreaterThan(0);

  // A second tab of the same browser profile sees the record, but the first tab holds the run's lock.
  const other = await tab.context.newPage();
  await other.goto(new URL('/', lab.baseUrl).href);
  await other.getByTestId('compare').waitFor();
  await other.waitForTimeout(1500);
  const notice = other.locator('[data-notice="interrupted-run"]');
  expect(await notice.count()).toBe(0);

  // Closing the training tab releases the lock: now the run is interrupted.
  await tab.page.close();
  await other.reload();
  await notice.waitFor({ timeout: 30_000 });
  expect(await notice.textContent()).toMatch(/Run "Reload me" was interrupted at step \d+ of 16/);
  await notice.getByRole('button', { name: 'Discard' }).click();
  await expect.poll(() => checkpointCount(other)).toBe(0);
  await tab.close();
});

it('deletes the checkpoints of an interrupted run that was neither resumed nor discarded', async () => {
  const tab = await lab.open('/');
  const { page } = tab;
  const notice = page.locator('[data-notice="interrupted-run"]');
  // Run A is interrupted; the person ignores the notice and starts run B (another seed), which is interrupted too.
  await startAndReload(tab, 6);
  await notice.waitFor({ timeout: 30_000 });
  await configure(page);
  await setField(page, 'name', 'Second run');
  await setField(page, 'seed', '7');
  await page.getByTestId('compare').click();
  await expect
    .poll(async () => (await chartPoints(page, 'loss')).DPO ?? 0, { timeout: 120_000, interval: 100 })
    .toBeGreaterThanOrEqual(6);
  expect(await checkpointNamespaces(page)).toBe(2);
  await page.reload();
  // Only B can be resumed now: A's checkpoints are swept when the page loads.
  await notice.waitFor({ timeout: 30_000 });
  expect(await notice.textContent()).toMatch(/Run "Second run" was interrupted/);
  await expect.poll(() => checkpointNamespaces(page)).toBe(1);
  await notice.getByRole('button', { name: 'Discard' }).click();
  await expect.poll(() => checkpointCount(page)).toBe(0);
  await tab.close();
});
