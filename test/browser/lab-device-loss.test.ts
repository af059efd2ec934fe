/**
 * A GPU device lost mid-run (destroyed through the worker's debug message, as a driver reset would):
 * the run continues on the CPU from its last checkpoint, the user is told, and the run finishes
 * with every step logged once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Lab, startLab } from './harness.ts';
import { chartPoints, downloadText, screenshotTop, setField, waitForRunEnd } from './lab-helpers.ts';

let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
});

afterAll(async () => {
  await lab?.close();
});

it('continues on the CPU from the last checkpoint when the GPU device is lost', async () => {
  const tab = await lab.open('/');
  const { page } = tab;
  await page.locator('#preset').selectOption('quick');
  await setField(page, 'name', 'Device loss');
  await setField(page, 'data.nInstructions', '8');
  await setField(page, 'data.pairing.budget', '32');
  await setField(page, 'steps', '16');
  await setField(page, 'eval.nTest', '2');
  await setField(page, 'eval.maxNewTokens', '8');
  await page.getByTestId('compare').click();

  // Lose the device once DPO is past its first checkpoint (every 5 steps).
  await expect
    .poll(async () => (await chartPoints(page, 'loss')).DPO ?? 0, { timeout: 180_000, interval: 250 })
    .toBeGreaterThanOrEqual(7);
  await page.getByTestId('lose-device').click();
  const notice = page.locator('[data-notice^="backend-"]');
  await notice.waitFor({ timeout: 30_000 });
  const text = (await notice.textContent()) ?? '';
  expect(text).toContain('Training moved to the CPU');
  expect(text).toMatch(/GPU device was lost/);
  const resumed = Number(text.match(/checkpoint at step (\d+)/)?.[1]);
  expect(resumed).toBeGreaterThanOrEqual(5);
  expect(resumed % 5).toBe(0);

  expect(await waitForRunEnd(page, 240_000)).toBe('done');
  expect(await page.locator('.run-status').textContent()).toContain('backend WebGPU, then CPU');
  expect(await chartPoints(page, 'loss')).toEqual({ DPO: 16, JPO: 16 });
  expect(await page.locator('[data-testid="winrate-table"] tbody tr').count()).toBe(2);
  await screenshotTop(tab, 'lab-device-loss');

  // Every step logged exactly once, in order, across the switch.
  const row = page.locator('[data-testid="runs-table"] tbody tr');
  await expect.poll(() => row.count()).toBe(1);
  expect(await row.textContent()).toContain('done on webgpu→cpu');
  await row.locator('summary', { hasText: 'Export' }).click();
  const csv = (await downloadText(page, () => row.getByTestId('export-csv').click())).text;
  const steps = csv
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => c[0] === 'DPO')
    .map((c) => Number(c[1]));
  expect(steps).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('pauses, resumes and stops a run; a stopped run is saved with the steps it took', async () => {
  const tab = await lab.open('/');
  const { page } = tab;
  await page.locator('#preset').selectOption('quick');
  await setField(page, 'name', 'Pause and stop');
  await setField(page, 'backend', 'cpu');
  await setField(page, 'data.nInstructions', '8');
  await setField(page, 'data.pairing.budget', '32');
  await setField(page, 'steps', '400');
  await setField(page, 'schedule.warmupSteps', '2');
  await page.getByTestId('compare').click();
  await expect
    .poll(async () => (await chartPoints(page, 'loss')).DPO ?? 0, { timeout: 120_000, interval: 200 })
    .toBeGreaterThanOrEqual(3);
  expect(await page.locator('.run-status').textContent()).toContain('backend CPU');

  await page.getByRole('button', { name: 'Pause' }).click();
  await page.locator('[data-testid="run-progress"][data-status="paused"]').waitFor();
  const held = (await chartPoints(page, 'loss')).DPO;
  await page.waitForTimeout(1500);
  expect((await chartPoints(page, 'loss')).DPO).toBe(held);

  await page.getByRole('button', { name: 'Resume' }).click();
  await page.locator('[data-testid="run-progress"][data-status="running"]').waitFor();
  await expect
    .poll(async () => (await chartPoints(page, 'loss')).DPO, { timeout: 60_000, interval: 200 })
    .toBeGreaterThan(held + 2);

  await page.getByRole('button', { name: 'Stop' }).click();
  expect(await waitForRunEnd(page, 60_000)).toBe('stopped');
  const steps = (await chartPoints(page, 'loss')).DPO;
  expect(steps).toBeLessThan(400);
  const row = page.locator('[data-testid="runs-table"] tbody tr');
  await expect.poll(() => row.count()).toBe(1);
  expect(await row.textContent()).toContain('stopped on cpu');
  expect(await row.textContent()).toContain(`DPO ${steps}`);
  expect(tab.errors).toEqual([]);
  await tab.close();
});
