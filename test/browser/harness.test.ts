/**
 * The harness itself: other browser tests rely on it to prove the app works offline and logs no
 * errors, so check that it really blocks and records outside requests and collects console errors
 * from both the page and its workers.
 */
import { beforeAll, expect, it } from 'vitest';
import type { LabPage } from './harness.ts';
import { labForFile } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });
let tab: LabPage;

beforeAll(async () => {
  tab = await lab().open('/');
});

it('serves the built app on 127.0.0.1', async () => {
  expect(lab().baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(await tab.page.title()).toBe('Orchard');
});

it('blocks and records requests that leave 127.0.0.1', async () => {
  const outcome = await tab.page.evaluate(() =>
    fetch('https://example.com/model.bin').then(
      () => 'fetched',
      () => 'failed',
    ),
  );
  expect(outcome).toBe('failed');
  expect(tab.blockedRequests).toEqual(['https://example.com/model.bin']);
  // The blocked load also shows up as a console error, so `errors` catches offline violations too.
  expect(tab.errors.some((e) => e.includes('ERR_BLOCKED_BY_CLIENT'))).toBe(true);
});

it('collects console errors from the page and from workers', async () => {
  await tab.page.evaluate(() => console.error('page says no'));
  // The worker stays alive until its message has reached the harness: terminating it at once can
  // drop the message on its way to the page's listener.
  await tab.page.evaluate(async () => {
    const source = "console.error('worker says no'); onmessage = (e) => console.error(e.data);";
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    (globalThis as { testWorker?: Worker }).testWorker = worker;
  });
  const saysNo = () => tab.errors.filter((e) => e.includes('says no'));
  await expect.poll(() => saysNo().length).toBeGreaterThanOrEqual(2);
  // A last message from each source marks the end: a copy of an earlier one would arrive before it.
  await tab.page.evaluate(() => {
    console.error('page is done');
    (globalThis as { testWorker?: Worker }).testWorker?.postMessage('worker is done');
  });
  await expect.poll(() => tab.errors.filter((e) => e.includes('is done')).length).toBe(2);
  await tab.page.evaluate(() => (globalThis as { testWorker?: Worker }).testWorker?.terminate());
  // Each exactly once: worker messages must not be double-counted through both page and worker events.
  // Page and worker events reach the harness in either order, so compare them as sets of lines.
  expect(saysNo().sort()).toEqual(['[console] page says no', '[worker console] worker says no']);
  expect(tab.errors.filter((e) => e.includes('is done')).sort()).toEqual([
    '[console] page is done',
    '[worker console] worker is done',
  ]);
});
