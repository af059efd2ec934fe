/**
 * A person as the pairing judge, live: a tiny CPU run asks each pair once in the Train section, the
 * person answers with the keyboard alone by a fixed rule (a tie for the first pair shown, then
 * conditional → A, joint → B), and the run's training pairs (read from its data checkpoint while the
 * run is paused) are exactly what those answers imply. Stop while the run waits for the person ends
 * it as stopped, promptly.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { PreferenceRow } from '../../src/data/types.ts';
import { ARTIFACTS_DIR } from './harness.ts';
import {
  checkpointEntries,
  configureTinyCpuRun,
  labForFile,
  startComparison,
  stopWhileAsked,
  waitForRunEnd,
} from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });

function configure(page: Page): Promise<void> {
  return configureTinyCpuRun(page, 'Judged by a person', {
    // One shared pool: the person labels it once, and both runs train on their kinds of pairs.
    'data.pairing.protocol': 'shared',
    'data.pairing.budget': '4',
    'data.pairing.judge': 'human',
    steps: '4',
  });
}

interface Shown {
  id: string;
  kind: string;
  a: { instruction: string; response: string };
  b: { instruction: string; response: string };
}

async function shown(page: Page): Promise<Shown> {
  const card = page.getByTestId('live-judge');
  const side = async (s: 'a' | 'b') => {
    const instruction =
      (await card.getAttribute('data-kind')) === 'conditional'
        ? ((await page.getByTestId('live-judge-instruction').textContent()) ?? '')
        : ((await page.locator(`[data-testid="live-side-${s}"] .side-instruction`).textContent()) ?? '');
    return {
      instruction,
      response: (await page.locator(`[data-testid="live-side-${s}"] .side-response`).textContent()) ?? '',
    };
  };
  return {
    id: (await card.getAttribute('data-comparison')) ?? '',
    kind: (await card.getAttribute('data-kind')) ?? '',
    a: await side('a'),
    b: await side('b'),
  };
}

/** The prepared training data the pipeline saved for the run in progress (PreparedData.rows). */
async function checkpointedRows(page: Page): Promise<PreferenceRow[][]> {
  const entries = await checkpointEntries(page, 'data');
  return entries.filter((e) => e.text !== null).map((e) => JSON.parse(e.text ?? '').value.rows);
}

const rowKey = (r: PreferenceRow) => JSON.stringify([r.i_chosen, r.r_chosen, r.i_reject, r.r_reject]);
const pairKey = (s: Shown) =>
  [JSON.stringify([s.a.instruction, s.a.response]), JSON.stringify([s.b.instruction, s.b.response])].sort().join(' ~ ');

it('a person answers each pair once with the keyboard; the training pairs are exactly their answers', async () => {
  const tab = await startComparison(lab(), configure);
  const { page } = tab;
  expect(await page.locator('[data-path="data.pairing.judge"]').textContent()).toContain('keep the budget small');

  const card = page.getByTestId('live-judge');
  await card.waitFor({ timeout: 120_000 });
  // The card takes the focus when it appears, so the keys work at once.
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('live-judge');

  const answers: { shown: Shown; key: 'a' | 'b' | 't' }[] = [];
  const total = Number((await page.getByTestId('live-judge-count').textContent())?.match(/of (\d+)/)?.[1]);
  expect(total).toBe(4);
  for (let k = 0; k < total; k++) {
    await expect.poll(() => page.getByTestId('live-judge-count').textContent()).toBe(`${k} of ${total} answered`);
    const s = await shown(page);
    expect(answers.map((x) => x.shown.id)).not.toContain(s.id);
    if (k === total - 1) {
      // Pause while the run waits for the person: after the last answer the run pairs, saves its
      // data checkpoint and holds, so the test can read the training pairs. Back to the card by Tab.
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.locator('[data-testid="run-progress"][data-status="paused"]').waitFor({ timeout: 30_000 });
      for (let i = 0; i < 30; i++) {
        if ((await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))) === 'live-judge') break;
        await page.keyboard.press('Tab');
      }
    }
    const key = k === 0 ? 't' : s.kind === 'conditional' ? 'a' : 'b';
    answers.push({ shown: s, key });
    if (k === 0) await page.locator('#train').screenshot({ path: `${ARTIFACTS_DIR}/lab-human-judge.png` });
    await page.keyboard.press(key);
  }
  await card.waitFor({ state: 'detached', timeout: 60_000 });
  // Each pair was asked once, never in the swapped order.
  expect(new Set(answers.map((x) => pairKey(x.shown))).size).toBe(total);
  expect(answers.map((x) => x.shown.kind).sort()).toEqual(['conditional', 'conditional', 'joint', 'joint']);

  const saved = await checkpointedRows(page);
  expect(saved).toHaveLength(1);
  const chosenFirst = (x: (typeof answers)[number]): PreferenceRow => {
    const [w, l] = x.key === 'a' ? [x.shown.a, x.shown.b] : [x.shown.b, x.shown.a];
    return { i_chosen: w.instruction, r_chosen: w.response, i_reject: l.instruction, r_reject: l.response };
  };
  const expected = answers.filter((x) => x.key !== 't').map(chosenFirst);
  expect(saved[0].map(rowKey).sort()).toEqual(expected.map(rowKey).sort());
  // Conditional pairs come first in the training pool.
  const conditionalRows = saved[0].filter((r) => r.i_chosen === r.i_reject).length;
  expect(saved[0].slice(0, conditionalRows).every((r) => r.i_chosen === r.i_reject)).toBe(true);
  // The stage bars catch up with the next event batch.
  await expect.poll(() => page.locator('.progress-row[data-stage="judge"] .progress-count').textContent()).toBe('4/4');
  await expect
    .poll(() => page.locator('.progress-row[data-stage="pair"] .progress-message').textContent())
    .toBe('3 labelled pairs: 1 conditional, 2 joint, 1 ties dropped');

  await page.getByRole('button', { name: 'Resume' }).click();
  expect(await waitForRunEnd(page, 180_000)).toBe('done');
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('Stop while the run waits for the person ends it as stopped, promptly', () =>
  stopWhileAsked(lab(), configure, 'pairing'));
