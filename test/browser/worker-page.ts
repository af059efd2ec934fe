/**
 * A worker page (test/browser/<name>/: index.html, main.ts, worker.ts) bundled with Vite into
 * test-artifacts, served by Vite's preview server on 127.0.0.1 (cross-origin isolated, as the app
 * is, when asked) and opened in headless Chromium. Registers the suite's beforeAll / afterAll: the
 * report the page's worker posts (test/browser/worker-report.ts) and the page's errors are read
 * once it is done.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { ARTIFACTS_DIR, CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT } from './harness.ts';

const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export interface WorkerPageOptions {
  /** Serve with COOP + COEP (needed for SharedArrayBuffer). */
  isolated?: boolean;
  /** How long the worker may take to post its report. */
  doneTimeoutMs: number;
  /** The beforeAll hook's timeout, when the project default is too short. */
  hookTimeoutMs?: number;
}

export interface WorkerPageRun<R> {
  /** The worker's report; set once beforeAll has run. */
  report: R;
  /** Console errors and uncaught exceptions of the page (filled as they happen). */
  pageErrors: string[];
}

export function serveWorkerPage<R>(name: string, opts: WorkerPageOptions): WorkerPageRun<R> {
  const run = { pageErrors: [] as string[] } as WorkerPageRun<R>;
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const root = join(REPO_ROOT, 'test', 'browser', name);
    const outDir = join(ARTIFACTS_DIR, `${name}-dist`);
    const config = {
      root,
      configFile: false as const,
      logLevel: 'warn' as const,
      base: './',
      worker: { format: 'es' as const },
    };
    await build({ ...config, build: { outDir, emptyOutDir: true, target: 'es2022' } });
    server = await preview({
      ...config,
      build: { outDir },
      preview: {
        host: '127.0.0.1',
        port: 0,
        strictPort: true,
        open: false,
        ...(opts.isolated ? { headers: ISOLATED } : {}),
      },
    });
    const { port } = server.httpServer.address() as AddressInfo;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') run.pageErrors.push(msg.text());
    });
    page.on('pageerror', (err) => run.pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.locator('body[data-done="true"]').waitFor({ state: 'attached', timeout: opts.doneTimeoutMs });
    run.report = (await page.evaluate(() => window.workerReport)) as R;
  }, opts.hookTimeoutMs);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      const s = server;
      await new Promise<void>((done) => s.httpServer.close(() => done()));
    }
  });

  return run;
}
