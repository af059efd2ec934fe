/**
 * Shared harness for browser tests: serves the BUILT app (dist/) on 127.0.0.1, drives headless
 * Debian Chromium with WebGPU (SwiftShader when there is no GPU) through playwright-core, blocks
 * every request that is not to 127.0.0.1 (the app must work offline), collects console errors from
 * the page and its workers, and saves screenshots to test-artifacts/.
 *
 *   const lab = await startLab();            // in beforeAll
 *   const page = await lab.open('/');
 *   ...assertions on page.page...
 *   await page.screenshot('capability');     // test-artifacts/capability.png
 *   expect(page.errors).toEqual([]);
 *   await lab.close();                       // in afterAll
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type PreviewServer, preview } from 'vite';
import type { ProbeReport } from '../../src/engine/gpu-probe/probe.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags that make Debian's Chromium usable headless in a container and give it WebGPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  // Belt and braces with the request routing below: no name but 127.0.0.1 resolves.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export interface LabPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught page errors and worker errors, in order, each prefixed with its source. */
  errors: string[];
  /** URLs the app tried to fetch from anywhere but 127.0.0.1 (all were aborted). */
  blockedRequests: string[];
  /** Full-page PNG at test-artifacts/NAME.png; returns the path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface Lab {
  browser: Browser;
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  open(path?: string): Promise<LabPage>;
  close(): Promise<void>;
}

export interface LabOptions {
  /** false launches Chromium without --enable-unsafe-webgpu, i.e. with no adapter: the CPU fallback path. */
  webgpu?: boolean;
}

export async function startLab({ webgpu = true }: LabOptions = {}): Promise<Lab> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.html'))) {
    throw new Error('dist/index.html is missing: run `npm run build` first (`npm test` builds it)');
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: run \`npm test\` as root (it installs it) or apt-get install -y chromium`,
    );
  }
  const server = await servePreview();
  let browser: Browser;
  try {
    const args = webgpu ? CHROMIUM_ARGS : CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args, headless: true });
  } catch (err) {
    await closeServer(server);
    throw err;
  }
  const address = server.httpServer.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const pages = new Set<LabPage>();

  return {
    browser,
    baseUrl,
    async open(path = '/') {
      const labPage = await openPage(browser);
      pages.add(labPage);
      await labPage.page.goto(new URL(path, baseUrl).href);
      return labPage;
    },
    async close() {
      for (const p of pages) await p.close().catch(() => {});
      await browser.close().catch(() => {});
      await closeServer(server);
    },
  };
}

/** `vite preview` on dist/ with the project's config (so the same headers as `npm run preview`), on a free port. */
async function servePreview(): Promise<PreviewServer> {
  return preview({
    root: REPO_ROOT,
    configFile: join(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
}

async function closeServer(server: PreviewServer): Promise<void> {
  await new Promise<void>((done) => server.httpServer.close(() => done()));
}

async function openPage(browser: Browser): Promise<LabPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const errors: string[] = [];
  const blockedRequests: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    // Any port on 127.0.0.1 is allowed, so a test may add its own local server (say, a fake model hub).
    if (isLoopback(url)) return route.continue();
    blockedRequests.push(url);
    return route.abort('blockedbyclient');
  });

  const page = await context.newPage();
  // Console messages from dedicated workers are also delivered to the page's 'console' event.
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${msg.worker() ? '[worker console]' : '[console]'} ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`[pageerror] ${err.message}`));
  page.on('crash', () => errors.push('[crash] the page crashed'));

  return {
    page,
    context,
    errors,
    blockedRequests,
    async screenshot(name: string) {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const file = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
    },
  };
}

function isLoopback(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    return protocol === 'data:' || protocol === 'blob:' || hostname === '127.0.0.1';
  } catch {
    return false;
  }
}

/**
 * Waits until the capability panel shows the answer to probe number `probe` (1 = the one on page
 * load, 2 = after one "Probe again"...) and returns the report it shows (the JSON of the panel's
 * raw view). Throws with the panel's message if the probe failed.
 */
export async function readCapabilityReport(page: Page, probe = 1, timeoutMs = 120_000): Promise<ProbeReport> {
  const panel = page.locator('[data-testid="capability-panel"]');
  await page
    .locator(`[data-testid="capability-panel"][data-finished="${probe}"]:not([data-status="probing"])`)
    .waitFor({ timeout: timeoutMs });
  if ((await panel.getAttribute('data-status')) === 'error') {
    throw new Error(`capability probe failed: ${await page.locator('#capability-summary').textContent()}`);
  }
  const json = await page.locator('[data-testid="capability-json"]').textContent();
  if (!json) throw new Error('capability panel is ready but shows no JSON report');
  return JSON.parse(json) as ProbeReport;
}
