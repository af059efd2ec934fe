import { describe, expect, it } from 'vitest';
import { Batcher } from '../../workers/batcher.ts';

/** A hand-driven clock and timer queue, so the test decides when time passes. */
function fakeTime() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (id: unknown) => {
      timers = timers.filter((t) => t.id !== id);
    },
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
    get timers() {
      return timers.length;
    },
  };
}

describe('Batcher (worker → page throttling)', () => {
  it('sends the first item at once, then batches until the interval has passed', () => {
    const t = fakeTime();
    const batches: number[][] = [];
    const b = new Batcher<number>({ intervalMs: 150, flush: (x) => batches.push(x), ...t });
    b.push(1);
    expect(batches).toEqual([[1]]);
    t.advance(10);
    b.push(2);
    t.advance(10);
    b.push(3);
    expect(batches).toEqual([[1]]);
    expect(t.timers).toBe(1);
    t.advance(130);
    expect(batches).toEqual([[1], [2, 3]]);
    expect(b.pending).toBe(0);
  });

  it('after sendNextAtOnce (a resume) the next item goes out at once, then batching goes on', () => {
    const t = fakeTime();
    const batches: number[][] = [];
    const b = new Batcher<number>({ intervalMs: 1000, flush: (x) => batches.push(x), ...t });
    b.push(1);
    b.drain(); // a pause drains; the resume comes soon after
    t.advance(20);
    b.push(2);
    expect(batches).toEqual([[1]]);
    b.sendNextAtOnce();
    b.push(3);
    expect(batches).toEqual([[1], [2, 3]]);
    b.push(4);
    expect(batches).toEqual([[1], [2, 3]]);
    t.advance(1000);
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });

  it('10,000 steps pushed over 10 s become at most one batch per interval, in order, none lost', () => {
    const t = fakeTime();
    const batches: number[][] = [];
    const b = new Batcher<number>({ intervalMs: 200, flush: (x) => batches.push(x), ...t });
    for (let i = 0; i < 10_000; i++) {
      b.push(i);
      t.advance(1);
    }
    t.advance(200);
    expect(batches.flat()).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(batches.length).toBeLessThanOrEqual(10_000 / 200 + 2);
  });

  it('flushes on push when the timer was starved by a busy loop', () => {
    const t = fakeTime();
    const batches: number[][] = [];
    const b = new Batcher<number>({
      intervalMs: 100,
      flush: (x) => batches.push(x),
      now: t.now,
      setTimer: () => 0,
      clearTimer: () => {},
    });
    b.push(1);
    b.push(2);
    expect(batches).toEqual([[1]]);
    t.advance(150); // the (never firing) timer stands for a blocked event loop
    b.push(3);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('drain() sends the rest now and cancels the timer', () => {
    const t = fakeTime();
    const batches: number[][] = [];
    const b = new Batcher<number>({ intervalMs: 100, flush: (x) => batches.push(x), ...t });
    b.push(1);
    b.push(2);
    b.drain();
    expect(batches).toEqual([[1], [2]]);
    expect(t.timers).toBe(0);
    b.drain();
    expect(batches.length).toBe(2);
  });
});
