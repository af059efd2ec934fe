/**
 * A GPU device lost mid-run (destroyed through the worker's debug message, as a driver reset would):
 * the run continues on the CPU from its last checkpoint, the user is told, and the run finishes
 * with every step logged once. And the run controls: a paused run holds, resumes and stops.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import {
  chartPoints,
  configureQuickRun,
  exportSavedMetrics,
  labForFile,
  pauseInTraining,
  screenshotTop,
  stepPausedRun,
  waitForRunEnd,
} from './lab-helpers.ts';

const lab = labForFile();

/** Steps per run of the saved run's metrics CSV, in the order logged. */
function stepsOf(csv: string, run: string): number[] {
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => c[0] === run)
    .map((c) => Number(c[1]));
}

/** Resumes a paused run and, the moment the page shows it running on the GPU again, loses the device. */
function resumeAndLoseDevice(page: Page): Promise<void> {
  return page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const observer = new MutationObserver(() => {
          const lose = document.querySelector<HTMLButtonElement>('[data-testid="lose-device"]');
          if (!lose) return;
          observer.disconnect();
          lose.click();
          resolve();
        });
        observer.observe(document.body, { subtree: true, childList: true });
        const resume = [...document.querySelectorAll<HTMLButtonElement>('.run-controls button')].find(
          (b) => b.textContent?.trim() === 'Resume',
        );
        if (!resume) throw new Error('resumeAndLoseDevice: the run is not paused (no Resume button)');
        resume.click();
      }),
  );
}

it('continues on the CPU from the last checkpoint when the GPU device is lost', async () => {
  // The drill lives in the developer panel, shown with ?debug=1 only.
  const tab = await lab().open('/?debug=1');
  const { page } = tab;
  await configureQuickRun(page, 'Device loss', {
    'data.nInstructions': '8',
    'data.pairing.budget': '32',
    steps: '16',
    // WebGPU by name: "auto" would pick the CPU on this software adapter.
    backend: 'webgpu',
    'eval.nTest': '2',
    'eval.maxNewTokens': '8',
  });
  await page.getByTestId('compare').click();

  // Lose the device once the run in training is past its first checkpoint (every 5 steps): hold
  // it there, then lose the device as soon as it runs again.
  const held = await pauseInTraining(page, { runs: ['DPO', 'JPO'], steps: 16, atLeast: 5 });
  await resumeAndLoseDevice(page);
  const notice = page.locator('[data-notice^="backend-"]');
  await notice.waitFor({ timeout: 60_000 });
  const text = (await notice.textContent()) ?? '';
  expect(text).toContain('Training moved to the CPU');
  expect(text).toMatch(/GPU device was lost/);
  const resumed = Number(text.match(/checkpoint at step (\d+)/)?.[1]);
  expect(resumed).toBeGreaterThanOrEqual(5);
  expect(resumed % 5).toBe(0);
  expect(resumed).toBeGreaterThanOrEqual(Math.floor(held.step / 5) * 5);

  expect(await waitForRunEnd(page, 240_000)).toBe('done');
  expect(await page.locator('.run-status').textContent()).toContain('backend WebGPU, then CPU');
  expect(await chartPoints(page, 'loss')).toEqual({ DPO: 16, JPO: 16 });
  expect(await page.locator('[data-testid="winrate-table"] tbody tr').count()).toBe(2);
  await screenshotTop(tab, 'lab-device-loss');

  // Every step logged exactly once, in order, across the switch.
  expect(await page.locator('[data-testid="runs-table"] tbody tr').textContent()).toContain('done on webgpu→cpu');
  const csv = (await exportSavedMetrics(page)).text;
  expect(stepsOf(csv, 'DPO')).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('pauses, resumes and stops a run; a stopped run is saved with the steps it took', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  await configureQuickRun(page, 'Pause and stop', {
    backend: 'cpu',
    'data.nInstructions': '8',
    'data.pairing.budget': '32',
    steps: '400',
    'schedule.warmupSteps': '2',
  });
  await page.getByTestId('compare').click();
  const { step: held } = await pauseInTraining(page, { runs: ['DPO', 'JPO'], steps: 400, atLeast: 3 });
  expect(await page.locator('.run-status').textContent()).toContain('backend CPU');
  // Paused, the page shows every step the run took: the chart and the progress bar agree.
  expect(await page.locator('.progress-row[data-stage="train"][data-run="DPO"] .progress-count').textContent()).toBe(
    `${held}/400`,
  );

  // Resumed, it goes on from where it held (each call lets at least one more step show).
  for (let i = 0; i < 3; i++) expect(await stepPausedRun(page)).toBe('paused');
  const again = (await chartPoints(page, 'loss')).DPO;
  expect(again).toBeGreaterThan(held + 2);

  // Stopped while paused: the run took no step between the pause and the stop, and is saved so.
  await page.getByRole('button', { name: 'Stop' }).click();
  expect(await waitForRunEnd(page, 60_000)).toBe('stopped');
  const steps = (await chartPoints(page, 'loss')).DPO;
  expect(steps).toBe(again);
  expect(steps).toBeLessThan(400);
  const csv = (await exportSavedMetrics(page)).text;
  expect(stepsOf(csv, 'DPO')).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
  const row = page.locator('[data-testid="runs-table"] tbody tr');
  expect(await row.textContent()).toContain('stopped on cpu');
  expect(await row.textContent()).toContain(`DPO ${steps}`);
  expect(tab.errors).toEqual([]);
  await tab.close();
});
