/**
 * The richer Evaluate section (issue 16): every held-out item per run with win/tie/loss filters
 * that agree with the win-rate table, and the paired difference between the runs (JPO − DPO)
 * whose value is the mean of the per-item outcome differences shown, with its interval and a
 * plain word when the interval contains 0.
 */
import { expect, it } from 'vitest';
import { configureTinyCpuRun, labForFile, oracleJudged, startComparison, waitForRunEnd } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });
const N_TEST = 6;
const VALUE: Record<string, number> = { win: 1, tie: 0.5, loss: 0 };

it('lists every held-out item per run, filters them, and gives the paired difference with its interval', async () => {
  const tab = await startComparison(lab(), (page) =>
    configureTinyCpuRun(page, 'Every item', { ...oracleJudged(16, 4), 'eval.nTest': String(N_TEST) }),
  );
  const { page } = tab;
  expect(await waitForRunEnd(page, 300_000)).toBe('done');
  const table = page.getByTestId('eval-items');
  await table.waitFor();

  const outcomes: Record<string, string[]> = {};
  for (const run of ['DPO', 'JPO']) {
    await page.getByTestId('eval-items-run').selectOption(run);
    await table.locator('[data-filter="all"]').click();
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(N_TEST);
    outcomes[run] = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-outcome') ?? ''));
    // The filters agree with the win-rate table's wins / ties / losses.
    const cells = (await page.locator(`[data-testid="winrate-table"] tr[data-run="${run}"]`).textContent()) ?? '';
    const [wins, ties, losses] = ['win', 'tie', 'loss'].map((o) => outcomes[run].filter((x) => x === o).length);
    expect(cells).toContain(`${wins} / ${ties} / ${losses}`);
    await table.locator('[data-filter="loss"]').click();
    expect(await rows.count()).toBe(losses);
    for (const o of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-outcome')))) {
      expect(o).toBe('loss');
    }
  }

  const line = page.locator('[data-testid="run-differences"] li').first();
  expect([await line.getAttribute('data-a'), await line.getAttribute('data-b')]).toEqual(['DPO', 'JPO']);
  const byHand = outcomes.JPO.reduce((s, o, i) => s + VALUE[o] - VALUE[outcomes.DPO[i]], 0) / N_TEST;
  expect(Number(await line.getAttribute('data-difference'))).toBeCloseTo(byHand, 12);
  const low = Number(await line.getAttribute('data-ci-low'));
  const high = Number(await line.getAttribute('data-ci-high'));
  expect(low).toBeLessThanOrEqual(byHand);
  expect(high).toBeGreaterThanOrEqual(byHand);
  const text = (await line.textContent()) ?? '';
  expect(text).toMatch(/^JPO − DPO: [+−]\d+\.\d points \(95% interval/);
  if (low <= 0 && high >= 0) expect(text).toContain('The interval contains 0');
  else expect(text).not.toContain('contains 0');
  await tab.screenshot('lab-evaluate-items');
  expect(tab.errors).toEqual([]);
  await tab.close();
});
