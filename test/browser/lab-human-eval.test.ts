/**
 * A person as the evaluation judge, live and blind: a tiny CPU run (oracle pairing) asks the person
 * to compare its answers with the gold answers in the Train section, titled "Which answer is
 * better?", without naming a run. The person answers every question "tie" by keyboard, so every
 * run's win-rate must be 50% with ties = eval.nTest; Stop while an evaluation question waits ends the
 * run promptly.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { ARTIFACTS_DIR } from './harness.ts';
import { configureTinyCpuRun, labForFile, startComparison, stopWhileAsked, waitForRunEnd } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });

const N_TEST = 3;

function configure(page: Page): Promise<void> {
  return configureTinyCpuRun(page, 'Evaluated by a person', {
    'data.pairing.judge': 'oracle',
    'eval.judge': 'human',
    // Against the gold answers, so the tiny model's answers differ and each item is a question.
    'eval.compareAgainst': 'gold',
    'eval.nTest': String(N_TEST),
    steps: '4',
  });
}

it('a person judges the evaluation blind by keyboard; all ties give 50% and ties = n for every run', async () => {
  const tab = await startComparison(lab(), configure);
  const { page } = tab;
  expect(await page.locator('[data-path="eval.judge"]').textContent()).toContain('blind: you see two answers');

  const card = page.getByTestId('live-judge');
  const seen: string[] = [];
  const cardTexts: string[] = [];
  const chromeTexts: string[] = [];
  const ended =
    '[data-testid="run-progress"]:is([data-status="done"], [data-status="stopped"], [data-status="failed"])';
  for (;;) {
    // The next question not answered yet, or the end of the run, whichever the page shows first.
    const unseen = seen.map((id) => `:not([data-comparison=${JSON.stringify(id)}])`).join('');
    await page.locator(`[data-testid="live-judge"][data-comparison]${unseen}, ${ended}`).first().waitFor({
      timeout: 240_000,
    });
    if ((await page.locator(ended).count()) > 0) break;
    const id = (await card.getAttribute('data-comparison')) ?? '';
    expect(await card.getAttribute('data-purpose')).toBe('evaluation');
    expect(await card.locator('strong').first().textContent()).toBe('Which answer is better?');
    // The card's own words (the answers and the question may contain any word, e.g. the colour gold).
    const chrome = await card.evaluate((el) => {
      const c = el.cloneNode(true) as HTMLElement;
      for (const x of c.querySelectorAll('.side-response, .side-instruction, [data-testid="live-judge-instruction"]'))
        x.remove();
      return `${c.textContent} ${el.getAttribute('aria-label')}`;
    });
    cardTexts.push(`${await card.textContent()} ${await card.getAttribute('aria-label')}`);
    chromeTexts.push(chrome);
    if (seen.length === 0) await page.locator('#train').screenshot({ path: `${ARTIFACTS_DIR}/lab-human-eval.png` });
    seen.push(id);
    await card.focus();
    await page.keyboard.press('t');
  }
  expect(await waitForRunEnd(page, 1_000)).toBe('done');
  expect(seen.length).toBeGreaterThanOrEqual(N_TEST);

  const rows = page.locator('[data-testid="winrate-table"] tbody tr');
  const runs = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run') ?? ''));
  expect(runs.length).toBeGreaterThanOrEqual(2);
  // A person is asked once per distinct pair, so at most one question per run and item.
  expect(seen.length).toBeLessThanOrEqual(N_TEST * runs.length);
  for (const run of runs) {
    const row = page.locator(`[data-testid="winrate-table"] tbody tr[data-run="${run}"]`);
    expect(await row.locator('td').first().textContent()).toMatch(/^50(\.0)?%$/);
    expect((await row.locator('td').nth(2).textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      `0 / ${N_TEST} / 0 of ${N_TEST}`,
    );
  }
  // Blind: no question names a run (or which side is the trained model).
  for (const text of cardTexts) for (const run of runs) expect(text).not.toContain(run);
  for (const text of chromeTexts) expect(text.toLowerCase()).not.toMatch(/gold|baseline|trained|reference|run’s|model/);
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('Stop while an evaluation question waits ends the run as stopped, promptly', () =>
  stopWhileAsked(lab(), configure, 'evaluation'));
