/**
 * Helpers shared by the lab's browser tests (lab-*.test.ts): start the lab once per file, drive the
 * experiment form, hold a run at a known state, wait for a run, read downloads and checkpoints.
 *
 * Nothing here waits for a length of time: every wait is for a state of the page (a DOM attribute,
 * a button, a download), so the tests pass however fast or slow the machine trains.
 */
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { type Lab, type LabOptions, type LabPage, startLab } from './harness.ts';

/** Starts the lab (preview server and Chromium) before this file's tests and closes it after them. */
export function labForFile(options: LabOptions = {}): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await startLab(options);
  });
  afterAll(async () => {
    await lab?.close();
  });
  return () => {
    if (!lab) throw new Error('the lab did not start: see the error of beforeAll above');
    return lab;
  };
}

/** Unfolds the full experiment form ("Customise"), as a user does before editing a setting. */
export async function openCustomise(page: Page): Promise<void> {
  const fold = page.locator('details.customise');
  if ((await fold.count()) === 0 || (await fold.evaluate((d) => (d as HTMLDetailsElement).open))) return;
  await fold.locator('summary').first().click();
  await page.locator('details.customise[open]').waitFor();
}

/** Sets a form field by its spec path (the `data-path` of its wrapper), as a user types it. */
export async function setField(page: Page, path: string, value: string): Promise<void> {
  await openCustomise(page);
  const input = page.locator(`[data-path="${path}"] input, [data-path="${path}"] select`).first();
  if ((await input.evaluate((el) => el.tagName)) === 'SELECT') await input.selectOption(value);
  else await input.fill(value);
}

/** The quick preset with `fields` (form path → value) on top, named `name`. */
export async function configureQuickRun(page: Page, name: string, fields: Record<string, string>): Promise<void> {
  await openCustomise(page);
  await page.locator('#preset').selectOption('quick');
  for (const [path, value] of Object.entries({ name, ...fields })) await setField(page, path, value);
}

/**
 * The quick preset shrunk to a few seconds of training on the CPU backend (8 instructions, 2 test
 * items of 8 tokens), then `fields` (form path → value) on top.
 */
export function configureTinyCpuRun(page: Page, name: string, fields: Record<string, string>): Promise<void> {
  return configureQuickRun(page, name, {
    backend: 'cpu',
    'data.nInstructions': '8',
    'eval.nTest': '2',
    'eval.maxNewTokens': '8',
    ...fields,
  });
}

/**
 * Form fields for a run whose pairs the exact oracle judges (so a test does not depend on which
 * judge the defaults name): `budget` judge calls, `steps` optimizer steps per run.
 */
export function oracleJudged(budget: number, steps: number): Record<string, string> {
  return { 'data.pairing.budget': String(budget), steps: String(steps), 'data.pairing.judge': 'oracle' };
}

const RUN_PROGRESS = '[data-testid="run-progress"]';
const RUN_ENDED = `${RUN_PROGRESS}:is([data-status="done"], [data-status="stopped"], [data-status="failed"])`;

/** Waits until the run shown has ended, and returns its status (done, stopped, failed). */
export async function waitForRunEnd(page: Page, timeoutMs: number): Promise<string> {
  await page.locator(RUN_ENDED).waitFor({ timeout: timeoutMs });
  return (await page.locator(RUN_PROGRESS).getAttribute('data-status')) ?? '';
}

/**
 * Points per run in a chart, from its data-points attribute ("DPO:20,JPO:20"); none while the
 * chart is not drawn (before the first step).
 */
export async function chartPoints(page: Page, chart: string): Promise<Record<string, number>> {
  const figure = page.locator(`[data-testid="chart-${chart}"]`);
  if ((await figure.count()) === 0) return {};
  const attr = (await figure.getAttribute('data-points')) ?? '';
  const out: Record<string, number> = {};
  for (const part of attr.split(',').filter(Boolean)) {
    const i = part.lastIndexOf(':');
    out[part.slice(0, i)] = Number(part.slice(i + 1));
  }
  return out;
}

/**
 * Clicks Pause and waits until the page shows the run paused. The worker sends "paused" after
 * the events it had collected, so the charts then show every step taken.
 */
export async function pauseRun(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.locator(`${RUN_PROGRESS}[data-status="paused"]`).waitFor();
}

/**
 * Lets a paused run go on until the loss chart changes, i.e. at least one more step is shown,
 * and pauses it again from inside the page the moment it does. Returns the run's status then
 * (paused, or how it ended when it ended before any step showed).
 */
export async function stepPausedRun(page: Page): Promise<string> {
  await page.evaluate(
    (endedSelector) =>
      new Promise<void>((resolve) => {
        const points = () => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points') ?? '';
        const button = (name: string) =>
          [...document.querySelectorAll<HTMLButtonElement>('.run-controls button')].find(
            (b) => b.textContent?.trim() === name,
          );
        const before = points();
        const observer = new MutationObserver(() => {
          const pause = button('Pause');
          if (document.querySelector(endedSelector)) {
            observer.disconnect();
            resolve();
          } else if (points() !== before && pause && !pause.disabled) {
            observer.disconnect();
            pause.click();
            resolve();
          }
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        const resume = button('Resume');
        if (!resume) throw new Error('stepPausedRun: the run is not paused (no Resume button)');
        resume.click();
      }),
    RUN_ENDED,
  );
  await page.locator(`${RUN_PROGRESS}[data-status="paused"], ${RUN_ENDED}`).first().waitFor();
  return (await page.locator(RUN_PROGRESS).getAttribute('data-status')) ?? '';
}

/** Where a paused run holds: the run that is training and the steps it has taken. */
export interface HeldAt {
  run: string;
  step: number;
}

/**
 * Pauses the run just started (runs `runs` in order, `steps` steps each) as soon as it is running,
 * then steps it on, pausing after each shown step, until the run in training has taken at least
 * `atLeast` steps. The result does not depend on how fast the machine trains: the run holds at
 * the state returned, and every later check can be computed from it.
 */
export async function pauseInTraining(
  page: Page,
  { runs, steps, atLeast }: { runs: string[]; steps: number; atLeast: number },
): Promise<HeldAt> {
  await page.getByRole('button', { name: 'Pause' }).and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  await pauseRun(page);
  for (;;) {
    const points = await chartPoints(page, 'loss');
    const run = runs.find((r) => (points[r] ?? 0) < steps);
    if (!run) {
      throw new Error(
        `every run finished training before it reached step ${atLeast} while paused (${JSON.stringify(points)})`,
      );
    }
    if ((points[run] ?? 0) >= atLeast) {
      console.log(`held the run paused: ${run} at step ${points[run]} of ${steps}`);
      return { run, step: points[run] ?? 0 };
    }
    const status = await stepPausedRun(page);
    if (status !== 'paused') throw new Error(`the run ended (${status}) before it could be held at step ${atLeast}`);
  }
}

/**
 * Waits until the page has looked for an interrupted run to offer (App.tsx marks <main> when the
 * check is over), so the absence of the notice means something.
 */
export async function waitForInterruptedRunCheck(page: Page): Promise<void> {
  await page.locator('main[data-interrupted-run-check="done"]').waitFor({ timeout: 60_000 });
}

export async function downloadText(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download] = (await Promise.all([page.waitForEvent('download'), click()])) as [Download, unknown];
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
}

/** Waits for the one saved run in the runs table and downloads its metrics CSV. */
export async function exportSavedMetrics(page: Page): Promise<{ name: string; text: string }> {
  const row = page.locator('[data-testid="runs-table"] tbody tr');
  await expect.poll(() => row.count()).toBe(1);
  await row.locator('summary', { hasText: 'Export' }).click();
  return downloadText(page, () => row.getByTestId('export-csv').click());
}

/** Loss per run from a metrics CSV (run,step,loss,...), in step order. */
export function lossesFromCsv(csv: string): Record<string, number[]> {
  const [header, ...lines] = csv.trim().split('\n');
  const cols = header.split(',');
  const runCol = cols.indexOf('run');
  const lossCol = cols.indexOf('loss');
  const out: Record<string, number[]> = {};
  for (const line of lines) {
    const cells = line.split(',');
    const run = cells[runCol];
    if (!out[run]) out[run] = [];
    out[run].push(Number(cells[lossCol]));
  }
  return out;
}

/** A full-page screenshot taken from the top, so the sticky pipeline bar sits where users see it. */
export async function screenshotTop(
  tab: { page: Page; screenshot(name: string): Promise<string> },
  name: string,
): Promise<string> {
  await tab.page.evaluate(() => window.scrollTo(0, 0));
  return tab.screenshot(name);
}

/**
 * The checkpoint database, read by the page itself (no database is created when there is none):
 * every key as [namespace, key], and the stored bytes as text of the entries whose key is `textOf`
 * (the JSON ones, such as the prepared data; the weights stay in the page).
 */
export function checkpointEntries(page: Page, textOf = ''): Promise<{ key: string[]; text: string | null }[]> {
  return page.evaluate(async (textOf) => {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'orchard-checkpoints')) return [];
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('orchard-checkpoints');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      if (!db.objectStoreNames.contains('checkpoints')) return [];
      const request = <T>(make: () => IDBRequest) =>
        new Promise<T>((resolve, reject) => {
          const req = make();
          req.onsuccess = () => resolve(req.result as T);
          req.onerror = () => reject(req.error);
        });
      const store = () => db.transaction('checkpoints').objectStore('checkpoints');
      const keys = await request<string[][]>(() => store().getAllKeys());
      const entries = [];
      for (const key of keys) {
        const text =
          key[1] === textOf ? new TextDecoder().decode(await request<ArrayBuffer>(() => store().get(key))) : null;
        entries.push({ key, text });
      }
      return entries;
    } finally {
      db.close();
    }
  }, textOf);
}

/** Opens the lab in a new tab, sets the form up with `configure` and starts the DPO vs JPO comparison. */
export async function startComparison(lab: Lab, configure: (page: Page) => Promise<void>): Promise<LabPage> {
  const tab = await lab.open('/');
  await configure(tab.page);
  await tab.page.getByTestId('compare').click();
  return tab;
}

/**
 * Opens `path` in a new tab, runs `check` on it, and closes it after checking that the page logged
 * no errors.
 */
export async function inNewTab(lab: Lab, path: string, check: (tab: LabPage) => Promise<void>): Promise<void> {
  const tab = await lab.open(path);
  await check(tab);
  expect(tab.errors).toEqual([]);
  await tab.close();
}

/**
 * Starts a run set up by `configure` in a new tab and stops it while it waits for a person (a
 * pairing or evaluation question): it must end as stopped, with the question gone, without anyone
 * answering.
 */
export async function stopWhileAsked(
  lab: Lab,
  configure: (page: Page) => Promise<void>,
  purpose: 'pairing' | 'evaluation',
): Promise<void> {
  const tab = await startComparison(lab, configure);
  const { page } = tab;
  const card = page.getByTestId('live-judge');
  await card.waitFor({ timeout: 240_000 });
  expect(await card.getAttribute('data-purpose')).toBe(purpose);
  const asked = Date.now();
  await page.getByRole('button', { name: 'Stop' }).click();
  // The run holds at the question, so only the stop can end it: a generous bound just turns a
  // stop that is ignored into a failure instead of a hang.
  expect(await waitForRunEnd(page, 60_000)).toBe('stopped');
  console.log(`stopped while a ${purpose} question waited, in ${Date.now() - asked} ms`);
  expect(await card.count()).toBe(0);
  expect(tab.errors).toEqual([]);
  await tab.close();
}
