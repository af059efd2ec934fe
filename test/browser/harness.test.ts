/**
 * The harness itself: other browser tests rely on it to prove the app works offline and logs no
 * errors, so check that it really blocks and records outside requests and collects console errors
 * from both the page and its workers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Lab, type LabPage, startLab } from './harness.ts';

let lab: Lab;
let tab: LabPage;

beforeAll(async () => {
  lab = await startLab({ webgpu: false });
  tab = await lab.open('/');
});

afterAll(async () => {
  await lab?.close();
});

it('serves the built app on 127.0.0.1', async () => {
  expect(lab.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
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
  await tab.page.evaluate(async () => {
    const source = "console.error('worker says no'); postMessage('done');";
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    await new Promise((resolve) => worker.addEventListener('message', resolve, { once: true }));
    // Terminating at once can drop the worker's console message before it reaches the page's listener.
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.terminate();
  });
  const saysNo = () => tab.errors.filter((e) => e.includes('says no'));
  await expect.poll(() => saysNo().length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
  await tab.page.waitForTimeout(200);
  // Each exactly once: worker messages must not be double-counted through both page and worker events.
  expect(saysNo()).toEqual(['[console] page says no', '[worker console] worker says no']);
});
