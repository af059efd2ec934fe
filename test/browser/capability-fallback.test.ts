/**
 * Chromium without --enable-unsafe-webgpu has no adapter here: the worker must report the CPU
 * fallback with its reason, and the panel must say so instead of showing adapter details.
 */
import { expect, it } from 'vitest';
import { readCapabilityReport } from './harness.ts';
import { labForFile } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });

it('explains the CPU fallback when the browser offers no WebGPU adapter', async () => {
  const tab = await lab().open('/');
  const report = await readCapabilityReport(tab.page);
  expect(report.backend).toBe('cpu');
  expect(report.webgpu).toBeNull();
  expect(report.matmul).toBeNull();
  expect(report.fallbackReason).toMatch(/adapter|navigator\.gpu/);
  const panel = tab.page.locator('[data-testid="capability-panel"]');
  expect(await panel.getAttribute('data-backend')).toBe('cpu');
  expect(await tab.page.locator('#capability-summary').textContent()).toContain(report.fallbackReason ?? '');
  await tab.screenshot('capability-panel-cpu-fallback');
  expect(tab.errors).toEqual([]);
  expect(tab.blockedRequests).toEqual([]);
});
