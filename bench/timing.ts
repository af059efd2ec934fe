/**
 * The timed step loop shared by every engine: one step always in flight. Step k+1 is queued before
 * step k's loss is awaited, so no readback stalls the device queue (on synchronous backends, such
 * as TF.js's cpu and wasm, queuing a step computes it, and this is a plain loop).
 */

export interface TimedSteps {
  /** Time between consecutive losses arriving (the first from the start): steady-state ms per step. */
  intervals: number[];
  losses: number[];
}

export async function timePipelined(steps: number, enqueue: () => Promise<number>): Promise<TimedSteps> {
  const intervals: number[] = [];
  const losses: number[] = [];
  let last = performance.now();
  let inFlight: Promise<number> | null = steps > 0 ? enqueue() : null;
  for (let i = 0; i < steps && inFlight; i++) {
    const next = i + 1 < steps ? enqueue() : null;
    // Awaited below; this only keeps a rejection from counting as unhandled while we wait on `inFlight`.
    next?.catch(() => {});
    losses.push(await inFlight);
    const now = performance.now();
    intervals.push(now - last);
    last = now;
    inFlight = next;
  }
  return { intervals, losses };
}
