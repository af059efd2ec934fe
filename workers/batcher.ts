/**
 * Throttles the worker's messages to the page: items are collected and handed to `flush` as one
 * batch at most every `intervalMs` (the page re-renders its charts once per batch, not once per
 * optimizer step). The first item after a quiet period goes out at once, so a slow run still feels
 * live; `drain()` sends what is left (before a stage change, a pause or the end of a run).
 *
 * Time is checked when items arrive as well as by a timer: a CPU-bound training loop may starve the
 * worker's timers, and the batch must still go out on time.
 */
export interface BatcherOptions<T> {
  intervalMs: number;
  flush: (items: T[]) => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class Batcher<T> {
  private items: T[] = [];
  private lastFlush = Number.NEGATIVE_INFINITY;
  private timer: unknown = null;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly opts: BatcherOptions<T>) {
    if (!(opts.intervalMs > 0)) throw new Error(`Batcher: intervalMs must be > 0, got ${opts.intervalMs}`);
    this.now = opts.now ?? (() => performance.now());
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  push(item: T): void {
    this.items.push(item);
    const wait = this.lastFlush + this.opts.intervalMs - this.now();
    if (wait <= 0) this.drain();
    else if (this.timer === null) this.timer = this.setTimer(() => this.drain(), wait);
  }

  /** Sends everything collected so far, now. */
  drain(): void {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.lastFlush = this.now();
    this.opts.flush(batch);
  }

  /**
   * The next item goes out at once, whatever the interval says: after a resume the person (or a
   * test stepping a paused run) sees the first new step without waiting out the interval.
   */
  sendNextAtOnce(): void {
    this.lastFlush = Number.NEGATIVE_INFINITY;
  }

  get pending(): number {
    return this.items.length;
  }
}
