/**
 * Builds the benchmark page (bench/page) into a temporary folder, serves it on 127.0.0.1 with
 * `vite preview`, and drives it in headless Debian Chromium with WebGPU (the same launch flags as
 * the browser tests). One page hosts every engine, so all share one browser and one adapter; Orchard's
 * cpu row runs in a Web Worker of the page (page/orchard-cpu-worker.ts), the others on its main thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/browser/harness.ts';
import type { CaseId, EngineId, StepCounts } from './cases.ts';
import type { AdapterInfo, RunResult } from './result.ts';
import type { Reference } from './tfjs/run-tfjs.ts';

const CONFIG_FILE = fileURLToPath(new URL('./page/vite.config.ts', import.meta.url));
/** Extra time Node waits beyond a run's deadline, so a page that enforces it itself reports first. */
const PAGE_DEADLINE_MARGIN_MS = 10_000;

export interface BenchBrowser {
  userAgent: string;
  crossOriginIsolated: boolean;
  adapter: AdapterInfo | null;
  run(
    caseId: CaseId,
    engine: EngineId,
    steps: StepCounts,
    opts: { rowLogps: boolean; reference: Reference | null; timeoutMs: number },
  ): Promise<RunResult>;
  close(): Promise<void>;
}

export async function openBenchBrowser(log: (line: string) => void): Promise<BenchBrowser> {
  const outDir = mkdtempSync(join(tmpdir(), 'orchard-bench-page-'));
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    if (server) await new Promise<void>((done) => server?.httpServer.close(() => done()));
    rmSync(outDir, { recursive: true, force: true });
  };
  try {
    await build({ configFile: CONFIG_FILE, build: { outDir } });
    server = await preview({
      configFile: CONFIG_FILE,
      build: { outDir },
      preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
    });
    const { port } = server.httpServer.address() as AddressInfo;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log(`[page ${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => log(`[page error] ${e.message}`));
    await page.goto(`http://127.0.0.1:${port}/index.html`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    const info = await page.evaluate(async () => ({
      userAgent: navigator.userAgent,
      crossOriginIsolated: window.orchardBench.crossOriginIsolated,
      adapter: await window.orchardBench.adapter(),
    }));
    return {
      ...info,
      run: (caseId, engine, steps, { rowLogps, reference, timeoutMs }) =>
        withTimeout(
          page.evaluate(
            (a) => window.orchardBench.run(a.caseId, a.engine, a.steps, a.rowLogps, a.reference, a.timeoutMs),
            { caseId, engine, steps, rowLogps, reference, timeoutMs },
          ),
          // A backstop: the page stops a worker at timeoutMs itself, with its own message.
          timeoutMs + PAGE_DEADLINE_MARGIN_MS,
          `${engine} on ${caseId} in the browser`,
        ),
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
