/**
 * Defects a new user met in the lab (issue 16), each checked the way the user met it: a lesson
 * replaced by Compare, a locked lesson naming hidden buttons and sections, labels dropped by a
 * preset, a Resume offer scrolled out of sight, a phone-width page wider than the phone, a Hub
 * model offline, silent caps, clumsy messages, and developer drills in front of students.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { splitSpecs } from '../../src/data/tasks/apples.ts';
import {
  configureTinyCpuRun,
  labForFile,
  openCustomise,
  oracleJudged,
  pauseInTraining,
  setField,
  startComparison,
  waitForInterruptedRunCheck,
  waitForRunEnd,
} from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });
const LOCKED_LESSON = '/?lesson=beta-too-low&hide=optimizer,lora&readonly=1';

/** Whether the Labels step of the pipeline navigation shows as done (its check mark). */
const labelsStepDone = (page: Page) =>
  page.locator('.pipeline-step', { has: page.locator('a[href="#labels"]') }).evaluate((li) => li.matches('.step-done'));

it('D2: Compare on an opened lesson closes the lesson banner, since its runs are replaced', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  await page.locator('[data-testid="lessons"] summary').click();
  await page.locator('.lesson').first().getByRole('button', { name: 'Open' }).click();
  await page.getByTestId('lesson-banner').waitFor();
  await setField(page, 'backend', 'cpu');
  await page.getByTestId('compare').click();
  await page.getByTestId('lesson-banner').waitFor({ state: 'detached' });
  expect(await page.getByTestId('spec-origin').textContent()).toBe('DPO vs JPO comparison');
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('D4, D5: a locked lesson names only buttons it shows, and every pipeline step leads to a section', async () => {
  const tab = await lab().open(LOCKED_LESSON);
  const { page } = tab;
  await page.getByTestId('lesson-banner').waitFor();
  // Every button the page tells the student to press is there and visible.
  const named = await page.locator('[data-testid="run-empty"] strong, .experiment p.muted strong').allTextContents();
  expect(named.length).toBeGreaterThan(0);
  for (const name of named) expect(await page.getByRole('button', { name, exact: true }).isVisible()).toBe(true);
  expect(await page.getByTestId('compare').count()).toBe(0);
  // No step points at a section the lesson hides.
  const targets = await page.locator('.pipeline-steps a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(targets.length).toBeGreaterThanOrEqual(4);
  for (const href of targets) expect(await page.locator(href ?? '#missing').count(), `${href}`).toBe(1);
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('D6: labels added to the experiment are not dropped silently by a preset; they can be added back', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  const card = page.getByTestId('judge-card');
  await card.waitFor();
  await card.focus();
  await page.keyboard.press('s');
  // A skipped pair is no label: the Labels step is not done.
  expect(await labelsStepDone(page)).toBe(false);
  await page.keyboard.press('a');
  await page.keyboard.press('t');
  // Grammar: one tie is "1 tie".
  expect(await page.getByTestId('label-summary').textContent()).toContain('1 tie, 1 skipped');
  expect(await labelsStepDone(page)).toBe(true);
  const add = page.getByTestId('use-labels');
  expect(await add.textContent()).toBe('Add my 1 label to the experiment');
  await add.click();
  await expect.poll(() => page.getByTestId('label-summary').textContent()).toContain('1 pair in the experiment');

  await openCustomise(page);
  await page.locator('#preset').selectOption('quick');
  const notice = page.locator('[data-notice="labels-left-out"]');
  await notice.waitFor();
  expect(await notice.textContent()).toContain('Your added pair is not in this preset');
  expect(await page.getByTestId('label-summary').textContent()).toContain('none in the experiment yet');
  await notice.getByRole('button', { name: 'Add them back' }).click();
  await notice.waitFor({ state: 'detached' });
  expect(await page.getByTestId('label-summary').textContent()).toContain('1 pair in the experiment');
  expect(await page.getByTestId('spec-origin').textContent()).toBe('preset: Quick look');
  // A lesson replaces the experiment too, and says so the same way.
  await page.locator('[data-testid="lessons"] summary').click();
  await page.locator('.lesson').first().getByRole('button', { name: 'Open' }).click();
  await notice.waitFor();
  expect(await notice.textContent()).toContain('Your added pair is not in this lesson');
  await notice.getByRole('button', { name: 'Leave them out' }).click();
  await notice.waitFor({ state: 'detached' });
  expect(await page.getByTestId('label-summary').textContent()).toContain('none in the experiment yet');
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('D8: after a reload during training, the Resume offer is in view and has the keyboard', async () => {
  const tab = await startComparison(lab(), (page) => configureTinyCpuRun(page, 'Reload in view', oracleJudged(32, 16)));
  const { page } = tab;
  await pauseInTraining(page, { runs: ['DPO', 'JPO'], steps: 16, atLeast: 6 });
  // The reader is down at the charts when the tab reloads.
  await page.evaluate(() => document.getElementById('train')?.scrollIntoView({ block: 'start' }));
  expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(300);
  await page.reload();
  await waitForInterruptedRunCheck(page);
  const notice = page.locator('[data-notice="interrupted-run"]');
  await notice.waitFor();
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Resume');
  // Wholly in view, below the sticky pipeline bar.
  const box = await notice.boundingBox();
  const bar = await page.locator('nav.pipeline').boundingBox();
  const height = await page.evaluate(() => window.innerHeight);
  const top = (bar?.y ?? 0) + (bar?.height ?? 0);
  const inView = box !== null && box.y >= top - 1 && box.y + box.height <= height;
  expect(inView, `notice at ${JSON.stringify(box)}, bar ending at ${top}, view ${height} px high`).toBe(true);
  await notice.getByRole('button', { name: 'Discard' }).click();
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('D9: at 390 px a finished run leaves the page 390 px wide; Labels is not done with nothing labelled', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  await page.setViewportSize({ width: 390, height: 844 });
  await configureTinyCpuRun(page, 'Phone run', oracleJudged(16, 4));
  await page.getByTestId('compare').click();
  expect(await waitForRunEnd(page, 180_000)).toBe('done');
  const wide = await page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    // What sticks out of the screen, and is not inside something that scrolls sideways.
    const scrollsAside = (el: Element) => {
      for (let p = el.parentElement; p; p = p.parentElement) {
        if (p.scrollWidth > p.clientWidth && ['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true;
      }
      return false;
    };
    const out = [...document.querySelectorAll<HTMLElement>('main *')]
      .filter((el) => el.getBoundingClientRect().right > limit + 0.5 && el.offsetParent !== null && !scrollsAside(el))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`);
    return { scroll: Math.max(document.documentElement.scrollWidth, limit + (out.length > 0 ? 1 : 0)), limit, out };
  });
  expect(wide.scroll, `wider than the screen: ${wide.out.join('; ')}`).toBeLessThanOrEqual(wide.limit);
  expect(await labelsStepDone(page)).toBe(false);
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('D10: a Hub model offline fails with Hub advice, one banner, no empty charts', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  await configureTinyCpuRun(page, 'Hub offline', {});
  await setField(page, 'model.source', 'hub');
  await setField(page, 'model.repo', 'HuggingFaceTB/SmolLM2-135M');
  expect(await page.locator('#model').textContent()).not.toContain('apples task');
  const errors = page.getByTestId('form-errors');
  expect(await errors.count(), (await errors.allTextContents()).join()).toBe(0);
  for (let attempt = 0; attempt < 2; attempt++) {
    await page.getByTestId('compare').click();
    expect(await waitForRunEnd(page, 60_000)).toBe('failed');
  }
  const banners = page.locator('[data-notice="run-failed"]');
  expect(await page.locator('.notices .notice-error').count()).toBe(1);
  const text = (await banners.textContent()) ?? '';
  expect(text).not.toContain('models/');
  expect(text).toMatch(/Hub/);
  expect(await page.locator('[data-testid^="chart-"]').count()).toBe(0);
  await page.getByTestId('metrics-none').waitFor();
  // The hub-loading failure is the expected outcome here, not a page error.
  await tab.close();
});

it('says when Instructions is more than the task has, and writes problems as sentences', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  const pool = splitSpecs(1, 0.2).train.length;
  await setField(page, 'data.nInstructions', '10000');
  const hint = (await page.locator('[data-path="data.nInstructions"] .field-hint').textContent()) ?? '';
  expect(hint).toContain(`has ${pool.toLocaleString('en-US')} training instructions`);
  await setField(page, 'runs[1].beta', 'abc');
  const error = (await page.locator('[data-path="runs[1].beta"] .field-error').textContent()) ?? '';
  expect(error).toContain('(got text that is not a number)');
  expect(error).not.toContain('NaN');
  await page.locator('input[aria-label="Spec file to open"]').setInputFiles({
    name: 'old.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"name": "no version"}'),
  });
  const notice = page.locator('[data-notice="spec-file"]');
  await notice.waitFor();
  expect(await notice.textContent()).toContain('version is missing');
  expect(await notice.textContent()).not.toContain('version: is');
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('keeps developer drills out of sight unless the address has ?debug=1', async () => {
  const plain = await lab().open('/');
  await plain.page.getByTestId('compare').waitFor();
  expect(await plain.page.getByTestId('debug-panel').count()).toBe(0);
  await plain.close();
  const debug = await lab().open('/?debug=1');
  await debug.page.getByTestId('debug-panel').waitFor();
  // debug is the lab's own switch: no "ignored option" warning for it.
  expect(await debug.page.locator('[data-notice="view-flags"]').count()).toBe(0);
  expect(debug.errors).toEqual([]);
  await debug.close();
});
