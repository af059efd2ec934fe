/**
 * The thread pool's lag guard: when the caller's waits for the helpers outgrow half its own work
 * over recent jobs (a machine busier than its cores), later jobs run on the calling thread alone
 * for a while, doubling while the lag persists; a lag-free job resets the back-off. Driven with
 * explicit times: no clock, no sleeps.
 */
import { expect, it } from 'vitest';
import { LagGuard } from '../../src/engine/backends/cpu/threads/lag-guard.ts';

it('backs off when waits outgrow the work, doubling while lag persists, and recovers', () => {
  const g = new LagGuard();
  // Short waits next to the caller's own work never back off.
  for (let i = 0; i < 50; i++) g.record(0, 1.0, 0.2);
  expect(g.allows(0)).toBe(true);
  // One long wait among much work is absorbed by the decaying sums.
  g.record(0, 1.0, 3);
  expect(g.backoffs).toBe(0);
  // Lag that persists: 20 ms on the calling thread alone.
  let t = 100;
  while (g.backoffs === 0) g.record(t, 0.1, 5);
  expect(g.allows(t + 19)).toBe(false);
  expect(g.allows(t + 20)).toBe(true);
  // Lag again before any lag-free job: 40 ms.
  t = 200;
  while (g.backoffs === 1) g.record(t, 0.1, 5);
  expect(g.allows(t + 39)).toBe(false);
  expect(g.allows(t + 40)).toBe(true);
  // A lag-free job resets the back-off to 20 ms.
  g.record(300, 1.0, 0.1);
  t = 400;
  while (g.backoffs === 2) g.record(t, 0.1, 5);
  expect(g.allows(t + 19)).toBe(false);
  expect(g.allows(t + 20)).toBe(true);
  // Turned off, it always allows.
  while (g.backoffs === 3) g.record(500, 0.1, 5);
  g.enabled = false;
  expect(g.allows(500)).toBe(true);
});
