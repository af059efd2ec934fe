/**
 * The thread pool's lag guard: jobs whose caller waits long for the helpers (a machine busier
 * than its cores) send later jobs to the calling thread alone for a while, doubling while the lag
 * persists; a job without lag resets it. Driven with explicit times: no clock, no sleeps.
 */
import { expect, it } from 'vitest';
import { LagGuard } from '../../src/engine/backends/cpu/threads/lag-guard.ts';

it('backs off after 3 lagging jobs in a row, doubling, and recovers after a good job', () => {
  const g = new LagGuard();
  // Short waits next to the caller's own work never back off.
  for (let i = 0; i < 10; i++) g.record(0, 1.0, 0.2);
  expect(g.allows(0)).toBe(true);
  // Two lagging jobs, then a good one: the count restarts.
  g.record(0, 0.1, 5);
  g.record(0, 0.1, 5);
  g.record(0, 1.0, 0.1);
  g.record(0, 0.1, 5);
  g.record(0, 0.1, 5);
  expect(g.allows(0)).toBe(true);
  // The third in a row: 20 ms on the calling thread alone.
  g.record(100, 0.1, 5);
  expect(g.backoffs).toBe(1);
  expect(g.allows(119)).toBe(false);
  expect(g.allows(120)).toBe(true);
  // Lag again at once: 40 ms.
  for (let i = 0; i < 3; i++) g.record(200, 0.1, 5);
  expect(g.allows(239)).toBe(false);
  expect(g.allows(240)).toBe(true);
  // A good job resets the back-off to 20 ms.
  g.record(300, 1.0, 0.1);
  for (let i = 0; i < 3; i++) g.record(400, 0.1, 5);
  expect(g.allows(419)).toBe(false);
  expect(g.allows(420)).toBe(true);
  // Turned off, it always allows.
  for (let i = 0; i < 3; i++) g.record(500, 0.1, 5);
  g.enabled = false;
  expect(g.allows(500)).toBe(true);
});
