/**
 * The built app in headless Chromium: the training worker finds a WebGPU adapter, runs the probe
 * matmul with correct numbers, and the capability panel shows it, with no request leaving 127.0.0.1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { softwareAdapterName } from '../../src/engine/backends/auto-choice.ts';
import type { ProbeReport } from '../../src/engine/gpu-probe/probe.ts';
import { type LabPage, readCapabilityReport } from './harness.ts';
import { labForFile } from './lab-helpers.ts';

const lab = labForFile();
let tab: LabPage;
let report: ProbeReport;

beforeAll(async () => {
  tab = await lab().open('/');
  report = await readCapabilityReport(tab.page);
});

describe('capability panel', () => {
  it('gets a WebGPU adapter and device in the worker; "auto" picks the CPU on a software adapter and says why', () => {
    expect(report.host).toBe('browser-worker');
    expect(report.webgpu).not.toBeNull();
    const software = report.webgpu ? softwareAdapterName(report.webgpu.adapter) : null;
    expect(report.backend).toBe(software ? 'cpu' : 'webgpu');
    if (software) expect(report.fallbackReason).toContain(`the WebGPU adapter is ${software}`);
    else expect(report.fallbackReason).toBeNull();
    const limits = report.webgpu?.limits;
    // The adapter's own limits were requested, so they are at least the spec's defaults.
    expect(limits?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(limits?.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16 * 1024);
    expect(limits?.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    for (const feature of ['shader-f16', 'subgroups', 'timestamp-query'] as const) {
      expect(typeof report.webgpu?.features[feature]).toBe('boolean');
    }
  });

  it('ran the probe matmul in the worker and matched the JS reference', () => {
    expect(report.matmul).toMatchObject({ shape: { m: 37, k: 53, n: 29 }, passed: true });
    expect(report.matmul?.error).toBeUndefined();
    expect(report.matmul?.maxScaledError).toBeLessThanOrEqual(report.matmul?.tolerance ?? 0);
  });

  it('shows the adapter, the self-test result and the header', async () => {
    const { page } = tab;
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Orchard');
    const panel = page.locator('[data-testid="capability-panel"]');
    expect(await panel.getAttribute('data-backend')).toBe(report.backend);
    const facts = await page.locator('[data-testid="adapter-facts"]').textContent();
    expect(facts).toContain(report.webgpu?.adapter.architecture);
    expect(await page.locator('[data-testid="selftest"]').getAttribute('data-passed')).toBe('true');
    for (const step of ['Model', 'Data', 'Labels', 'Train', 'Evaluate']) {
      expect(
        await page.getByRole('navigation', { name: 'Lab pipeline' }).getByText(step, { exact: true }).isVisible(),
      ).toBe(true);
    }
    await page.locator('summary', { hasText: 'Full report' }).click();
    await tab.screenshot('capability-panel');
  });

  it('is keyboard usable: Tab reaches the skip link first, later Probe again, which re-runs the probe', async () => {
    const fresh = await lab().open('/');
    const { page } = fresh;
    await readCapabilityReport(page);
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    // The lab's controls come first; Tab keeps going until it reaches the panel's button.
    for (let i = 0; i < 200 && (await focused()) !== 'Probe again'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Probe again');
    await page.keyboard.press('Enter');
    const again = await readCapabilityReport(page, 2);
    expect(again.matmul?.passed).toBe(true);
    expect(fresh.errors).toEqual([]);
    await fresh.close();
  });

  it('is cross-origin isolated (the COOP/COEP headers from vite.config.ts)', async () => {
    expect(await tab.page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  });

  it('ran offline with no console errors', () => {
    expect(tab.blockedRequests).toEqual([]);
    expect(tab.errors).toEqual([]);
  });
});
