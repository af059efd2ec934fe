/**
 * The backend's pending command buffer. A program run, the readback copies and the buffer clears
 * issued in one synchronous burst are recorded into one encoder and reach the queue as ONE
 * submission, so an optimizer step that runs its program and reads its loss and grad norm costs one
 * queue submission, not three.
 *
 * The batch is submitted at a microtask after the burst, or earlier by `flush()` wherever order
 * would otherwise break: queue.writeBuffer takes effect before every command buffer submitted after
 * it, so a host write must first submit the commands recorded before it; sync() and buffer
 * destruction need the commands submitted too. A batch holds at most one program run, so each
 * submission stays one step's worth of work (long command buffers risk GPU watchdog resets).
 */
export class CommandBatch {
  private pending: GPUCommandEncoder | null = null;
  private hasRun = false;
  private flushScheduled = false;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly device: GPUDevice,
    /** Called once per queue submission (for the backend's counters). */
    private readonly onSubmit: () => void,
  ) {}

  /** The pending encoder for copies and clears (no pass is left open between calls). */
  encoder(): GPUCommandEncoder {
    if (!this.pending) {
      this.pending = this.device.createCommandEncoder({ label: 'orchard batch' });
      this.scheduleFlush();
    }
    return this.pending;
  }

  /** The pending encoder for a program run; a batch that already holds a run is submitted first. */
  encoderForRun(): GPUCommandEncoder {
    if (this.hasRun) this.flush();
    this.hasRun = true;
    return this.encoder();
  }

  /**
   * Resolves once everything recorded so far is submitted (mapAsync may only be called then).
   * Call it right after recording, in the same burst.
   */
  submitted(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Submits the pending commands now, if there are any. */
  flush(): void {
    const encoder = this.pending;
    if (!encoder) return;
    const waiters = this.waiters;
    this.pending = null;
    this.hasRun = false;
    this.waiters = [];
    try {
      this.device.queue.submit([encoder.finish()]);
    } catch (e) {
      for (const w of waiters) w.reject(e);
      throw e;
    }
    this.onSubmit();
    for (const w of waiters) w.resolve();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      try {
        this.flush();
      } catch {
        // Nobody called this flush to catch it: the waiters (pending reads) were rejected with the error.
      }
    });
  }
}
