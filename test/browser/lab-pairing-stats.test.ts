/**
 * The mechanism made visible (issue 12, item 3): after a small run, the Train section shows each
 * run's judge budget as its `pairing` event reported it — judge calls, pairs kept by kind, ties,
 * tie rates, inconsistent verdicts, pairs per 100 calls, epochs and steps. Checked against the
 * budget the form set and against each other: equal judge calls per run (2 per judged pair, both
 * orders), DPO keeps no joint pairs, pairs per 100 calls is the kept pairs over the calls.
 */
import { expect, it } from 'vitest';
import { configureTinyCpuRun, labForFile, startComparison, waitForRunEnd } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });
const BUDGET = 16;
const STEPS = 4;

it('shows every run’s judge calls, pairs kept, ties and tie rates, and DPO keeps no joint pairs', async () => {
  const tab = await startComparison(lab(), (page) =>
    configureTinyCpuRun(page, 'Pairing stats', {
      'data.pairing.budget': String(BUDGET),
      'data.pairing.judge': 'oracle',
      steps: String(STEPS),
    }),
  );
  const { page } = tab;
  expect(await waitForRunEnd(page, 300_000)).toBe('done');
  const table = page.getByTestId('pairing-stats');
  await table.waitFor();
  const cell = async (run: string, name: string) =>
    ((await table.locator(`tr[data-run="${run}"] [data-cell="${name}"]`).textContent()) ?? '').trim();

  for (const run of ['DPO', 'JPO']) {
    const calls = Number(await cell(run, 'judge-calls'));
    expect(calls, run).toBe(2 * BUDGET);
    const kept = Number(await cell(run, 'pairs-conditional')) + Number(await cell(run, 'pairs-joint'));
    expect(kept, run).toBeGreaterThan(0);
    // Shown to one decimal: within half a unit of the last digit (31.25 may show as 31.3).
    const per100 = Number(await cell(run, 'pairs-per-100'));
    expect(Math.abs(per100 - (100 * kept) / calls), run).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(await cell(run, 'tie-rates'), run).toMatch(/^(\d+%|–) \/ (\d+%|–)$/);
    expect(Number(await cell(run, 'inconsistent')), run).toBeGreaterThanOrEqual(0);
    expect(await cell(run, 'length'), run).toMatch(new RegExp(`^≈ \\d+\\.\\d / ${STEPS}$`));
  }
  // DPO spends its whole budget on conditional comparisons: no joint pair, no joint tie rate.
  expect(await cell('DPO', 'pairs-joint')).toBe('0');
  expect(await cell('DPO', 'tie-rates')).toMatch(/ \/ –$/);
  expect(Number(await cell('JPO', 'pairs-joint'))).toBeGreaterThan(0);
  await tab.screenshot('lab-pairing-stats');
  expect(tab.errors).toEqual([]);
  await tab.close();
});
