/**
 * Helpers shared by the lab's browser tests (lab-*.test.ts): drive the experiment form, wait for a
 * run, read downloads.
 */
import type { Download, Page } from 'playwright-core';

/** Sets a form field by its spec path (the `data-path` of its wrapper), as a user types it. */
export async function setField(page: Page, path: string, value: string): Promise<void> {
  const input = page.locator(`[data-path="${path}"] input, [data-path="${path}"] select`).first();
  if ((await input.evaluate((el) => el.tagName)) === 'SELECT') await input.selectOption(value);
  else await input.fill(value);
}

/** Waits until the run shown has ended, and returns its status (done, stopped, failed). */
export async function waitForRunEnd(page: Page, timeoutMs: number): Promise<string> {
  const progress = page.locator('[data-testid="run-progress"]');
  await page
    .locator('[data-testid="run-progress"]:is([data-status="done"], [data-status="stopped"], [data-status="failed"])')
    .waitFor({ timeout: timeoutMs });
  return (await progress.getAttribute('data-status')) ?? '';
}

/** Points per run in a chart, from its data-points attribute ("DPO:20,JPO:20"). */
export async function chartPoints(page: Page, chart: string): Promise<Record<string, number>> {
  const attr = (await page.locator(`[data-testid="chart-${chart}"]`).getAttribute('data-points')) ?? '';
  const out: Record<string, number> = {};
  for (const part of attr.split(',').filter(Boolean)) {
    const i = part.lastIndexOf(':');
    out[part.slice(0, i)] = Number(part.slice(i + 1));
  }
  return out;
}

export async function downloadText(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download] = (await Promise.all([page.waitForEvent('download'), click()])) as [Download, unknown];
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
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
 * The quick preset shrunk to a few seconds of training on the CPU backend (8 instructions, 2 test
 * items of 8 tokens), then `fields` (form path → value) on top.
 */
export async function configureTinyCpuRun(page: Page, name: string, fields: Record<string, string>): Promise<void> {
  await page.locator('#preset').selectOption('quick');
  const all = {
    name,
    backend: 'cpu',
    'data.nInstructions': '8',
    'eval.nTest': '2',
    'eval.maxNewTokens': '8',
    ...fields,
  };
  for (const [path, value] of Object.entries(all)) await setField(page, path, value);
}
