/**
 * "Repeat over N seeds" (issue 12, item 4): after a tiny comparison, repeating it over 2 seeds runs
 * seeds s and s+1 one after another through the ordinary start/finish flow, then shows each seed's
 * JPO − DPO and the pooled difference with its interval. Checked independently of the pooled view:
 * seed s's point equals the difference the first run showed (same spec and seed on the CPU backend:
 * the same numbers), seed s+1's point equals the difference the last run shows, and with equal items
 * per seed the pooled difference is the mean of the two points.
 */
import { expect, it } from 'vitest';
import { configureTinyCpuRun, labForFile, startComparison, waitForRunEnd } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });
const SEED = 7;

it('repeats the comparison over 2 seeds and pools their differences', async () => {
  const tab = await startComparison(lab(), (page) =>
    configureTinyCpuRun(page, 'Seed repeat', {
      seed: String(SEED),
      'data.pairing.budget': '16',
      'data.pairing.judge': 'oracle',
      steps: '4',
      'eval.nTest': '4',
    }),
  );
  const { page } = tab;
  expect(await waitForRunEnd(page, 300_000)).toBe('done');
  const difference = page.locator('[data-testid="run-differences"] li').first();
  await difference.waitFor();
  expect([await difference.getAttribute('data-a'), await difference.getAttribute('data-b')]).toEqual(['DPO', 'JPO']);
  const firstSeedDifference = Number(await difference.getAttribute('data-difference'));

  const repeat = page.getByTestId('seed-repeat');
  await page.getByTestId('seed-repeat-n').fill('2');
  await page.getByTestId('seed-repeat-start').click();
  await page.locator('[data-testid="seed-repeat"]:is([data-status="done"], [data-status="stopped"])').waitFor({
    timeout: 600_000,
  });
  expect(await repeat.getAttribute('data-status')).toBe('done');

  const points = repeat.locator('[data-testid="seed-points"] li');
  expect(await points.count()).toBe(2);
  const seeds = await points.evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-seed'))));
  expect(seeds).toEqual([SEED, SEED + 1]);
  const perSeed = await points.evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-difference'))));
  expect(perSeed[0]).toBeCloseTo(firstSeedDifference, 12);
  // The run shown now is the last seed's.
  expect(perSeed[1]).toBeCloseTo(Number(await difference.getAttribute('data-difference')), 12);

  const pooled = page.getByTestId('seed-pooled');
  expect(Number(await pooled.getAttribute('data-seeds'))).toBe(2);
  expect(Number(await pooled.getAttribute('data-difference'))).toBeCloseTo((perSeed[0] + perSeed[1]) / 2, 12);
  const low = Number(await pooled.getAttribute('data-ci-low'));
  const high = Number(await pooled.getAttribute('data-ci-high'));
  const text = (await pooled.textContent()) ?? '';
  expect(text).toMatch(/^Pooled over 2 seeds × 4 items: JPO − DPO: [+−]\d+\.\d points \(95% interval/);
  if (low <= 0 && high >= 0) expect(text).toContain('The interval contains 0');
  else expect(text).not.toContain('contains 0');
  await tab.screenshot('lab-seed-repeat');
  expect(tab.errors).toEqual([]);
  await tab.close();
});
