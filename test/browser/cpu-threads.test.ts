/**
 * The threaded CPU backend in a browser: a small page (test/browser/cpu-threads/) is bundled with
 * Vite and served cross-origin isolated (COOP + COEP, as the app is) on 127.0.0.1; its module
 * worker trains a small GPT-2 3 DPO steps at 1 thread and at 2 threads, whose helpers are nested
 * Web Workers running the kernels' source text (minified by the production build) on a shared
 * WebAssembly memory. Losses and weights must be identical, and the pool must have run both
 * matmuls and the other kernels on 2 threads.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ThreadsReport } from './cpu-threads/worker.ts';
import { ARTIFACTS_DIR, CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT } from './harness.ts';

const ROOT = join(REPO_ROOT, 'test', 'browser', 'cpu-threads');
const OUT = join(ARTIFACTS_DIR, 'cpu-threads-dist');
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

let server: PreviewServer | undefined;
let browser: Browser | undefined;
let report: ThreadsReport;
const pageErrors: string[] = [];

beforeAll(async () => {
  const config = {
    root: ROOT,
    configFile: false as const,
    logLevel: 'warn' as const,
    base: './',
    worker: { format: 'es' as const },
  };
  await build({ ...config, build: { outDir: OUT, emptyOutDir: true, target: 'es2022' } });
  server = await preview({
    ...config,
    build: { outDir: OUT },
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false, headers: ISOLATED },
  });
  const { port } = server.httpServer.address() as AddressInfo;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  const page = await browser.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('body[data-done="true"]').waitFor({ state: 'attached', timeout: 180_000 });
  report = (await page.evaluate(() => window.threadsReport)) as ThreadsReport;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (server) {
    const s = server;
    await new Promise<void>((done) => s.httpServer.close(() => done()));
  }
});

it('runs the CPU backend on 2 threads in a worker, bit-identical to 1 thread', () => {
  expect(report.error).toBeUndefined();
  expect(pageErrors).toEqual([]);
  expect(report.threadsNote).toBeNull();
  expect(report.threads).toBe(2);
  expect(report.pool?.mostThreads).toBe(2);
  expect(report.pool?.threadedJobs).toBeGreaterThan(0);
  expect(report.pool?.rangeJobs).toBeGreaterThan(0);
  expect(report.twoThreads.losses).toEqual(report.oneThread.losses);
  expect(report.oneThread.losses[2]).not.toEqual(report.oneThread.losses[0]);
  expect(report.twoThreads.weights).toEqual(report.oneThread.weights);
});
