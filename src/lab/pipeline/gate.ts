/**
 * A pause switch for the pipeline: pass `controller.gate` as env.gate. While paused, the pipeline
 * waits at its next unit boundary (between optimizer steps, generation batches...); `resume()`
 * lets it continue exactly where it stopped. Aborting the pipeline's signal while paused also
 * releases the gate, so a paused run can still be cancelled.
 */
export class PauseController {
  private waiting: { promise: Promise<void>; release: () => void } | null = null;

  constructor(private readonly signal?: AbortSignal) {
    signal?.addEventListener('abort', () => this.resume(), { once: true });
  }

  get paused(): boolean {
    return this.waiting !== null;
  }

  pause(): void {
    if (this.waiting || this.signal?.aborted) return;
    let release = () => {};
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.waiting = { promise, release };
  }

  resume(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.release();
  }

  /** Resolves at once while running; while paused, when resumed (or the signal aborts). */
  readonly gate = async (): Promise<void> => {
    while (this.waiting) await this.waiting.promise;
  };
}
