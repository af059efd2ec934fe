/**
 * A run survives a page reload: it checkpoints into IndexedDB while training, and after the reload
 * the lab offers it back (Resume / Discard). A resumed run logs exactly the numbers of an
 * uninterrupted run of the same spec on the same backend (it continues bit-exactly from its
 * checkpoint), and every finished or discarded run leaves no checkpoints behind.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { LabPage } from './harness.ts';
import {
  chartPoints,
  checkpointEntries,
  configureTinyCpuRun,
  exportSavedMetrics,
  type HeldAt,
  labForFile,
  pauseInTraining,
  setField,
  waitForInterruptedRunCheck,
  waitForRunEnd,
} from './lab-helpers.ts';

const STEPS = 16;
/** The worker checkpoints each run every 5 steps (workers/run-driver.ts CHECKPOINT_EVERY). */
const CHECKPOINT_EVERY = 5;
const RUNS = ['DPO', 'JPO'];
const lab = labForFile({ webgpu: false });

/** A tiny CPU experiment: a few seconds of training per run. */
function configure(page: Page): Promise<void> {
  return configureTinyCpuRun(page, 'Reload me', { 'data.pairing.budget': '32', steps: String(STEPS) });
}

async function checkpointCount(page: Page): Promise<number> {
  return (await checkpointEntries(page)).length;
}

/** The distinct checkpoint namespaces (one per experiment). */
async function checkpointNamespaces(page: Page): Promise<number> {
  return new Set((await checkpointEntries(page)).map((e) => e.key[0])).size;
}

/** The saved run's metrics CSV without the wall-clock column (tokens_per_s), one string per row. */
async function savedMetrics(page: Page): Promise<string[]> {
  const lines = (await exportSavedMetrics(page)).text.trim().split('\n');
  const clock = lines[0].split(',').indexOf('tokens_per_s');
  expect(clock).toBeGreaterThan(0);
  return lines.map((l) =>
    l
      .split(',')
      .filter((_, i) => i !== clock)
      .join(','),
  );
}

/**
 * Starts the run, holds it (paused) once the run in training has taken `steps` steps, and reloads
 * the page there. Returns where it held: the notice after the reload must name that run, at its
 * last checkpoint. Pausing first makes the reload land at a known step however fast the machine is.
 */
async function startAndReload(tab: LabPage, steps: number): Promise<HeldAt> {
  await configure(tab.page);
  await tab.page.getByTestId('compare').click();
  const held = await pauseInTraining(tab.page, { runs: RUNS, steps: STEPS, atLeast: steps });
  expect(await checkpointCount(tab.page)).toBeGreaterThan(0);
  await tab.page.reload();
  return held;
}

/** The step of the last checkpoint a run held at `held` has saved. */
const lastCheckpoint = (held: HeldAt) => Math.floor(held.step / CHECKPOINT_EVERY) * CHECKPOINT_EVERY;

let reference: string[] = [];

it('an uninterrupted run (the reference) leaves no checkpoints', async () => {
  const tab = await lab().open('/');
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
  const tab = await lab().open('/');
  const { page } = tab;
  const notice = page.locator('[data-notice="interrupted-run"]');

  // Discard: the notice (naming the run that was training, at its last checkpoint) goes, the
  // checkpoints go, and a reload offers nothing.
  const discarded = await startAndReload(tab, 2);
  await notice.waitFor({ timeout: 30_000 });
  expect(await notice.textContent()).toContain(
    `Run "Reload me" was interrupted at step ${lastCheckpoint(discarded)} of 16 (training ${discarded.run})`,
  );
  await notice.getByRole('button', { name: 'Discard' }).click();
  await notice.waitFor({ state: 'detached' });
  await expect.poll(() => checkpointCount(page)).toBe(0);
  await page.reload();
  await waitForInterruptedRunCheck(page);
  expect(await notice.count()).toBe(0);

  // Resume (from the keyboard): continues from the last checkpoint (step 5 or later) and matches the reference.
  const resumed = await startAndReload(tab, CHECKPOINT_EVERY + 2);
  await notice.waitFor({ timeout: 30_000 });
  const text = (await notice.textContent()) ?? '';
  const at = Number(text.match(/interrupted at step (\d+) of 16/)?.[1]);
  expect(at).toBe(lastCheckpoint(resumed));
  expect(at).toBeGreaterThanOrEqual(CHECKPOINT_EVERY);
  expect(text).toContain(`(training ${resumed.run})`);
  await notice.getByRole('button', { name: 'Resume' }).focus();
  await page.keyboard.press('Enter');
  await notice.waitFor({ state: 'detached' });
  expect(await waitForRunEnd(page, 180_000)).toBe('done');
  expect(await chartPoints(page, 'loss')).toEqual({ DPO: STEPS, JPO: STEPS });
  // It did continue from the checkpoint (a fresh start would log the same numbers too).
  const log = (await page.locator('.run-log').textContent()) ?? '';
  expect(log).toContain(`${resumed.run}: resumed from the checkpoint at step ${at}`);
  expect(log).not.toContain('kept in memory');
  expect(await savedMetrics(page)).toEqual(reference);
  expect(await checkpointCount(page)).toBe(0);
  expect(await page.evaluate(() => localStorage.getItem('orchard.runInProgress'))).toBeNull();
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('does not offer a run that another tab is still training; offers it once that tab is closed', async () => {
  const tab = await lab().open('/');
  await configure(tab.page);
  await tab.page.getByTestId('compare').click();
  // Paused past its first checkpoint, the run stays in progress however fast or slow the machine is.
  await pauseInTraining(tab.page, { runs: RUNS, steps: STEPS, atLeast: CHECKPOINT_EVERY + 1 });
  expect(await checkpointCount(tab.page)).toBeGreaterThan(0);

  // A second tab of the same browser profile sees the record, but the first tab holds the run's lock.
  const other = await tab.context.newPage();
  await other.goto(new URL('/', lab().baseUrl).href);
  await waitForInterruptedRunCheck(other);
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
  const tab = await lab().open('/');
  const { page } = tab;
  const notice = page.locator('[data-notice="interrupted-run"]');
  // Run A is interrupted; the person ignores the notice and starts run B (another seed), which is interrupted too.
  await startAndReload(tab, CHECKPOINT_EVERY + 1);
  await notice.waitFor({ timeout: 30_000 });
  await configure(page);
  await setField(page, 'name', 'Second run');
  await setField(page, 'seed', '7');
  await page.getByTestId('compare').click();
  await pauseInTraining(page, { runs: RUNS, steps: STEPS, atLeast: CHECKPOINT_EVERY + 1 });
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
