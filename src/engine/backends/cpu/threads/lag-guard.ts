/**
 * When the helpers cannot keep up (a machine busier than it has cores: other programs, or several
 * backends' pools at once), a threaded job ends with the calling thread waiting for a descheduled
 * helper's chunk, and threads make a step slower than one thread. The guard watches how long the
 * caller waits after its own chunks; after a few jobs in a row where that wait is long next to its
 * own work, jobs run on the calling thread alone for a while (doubling while the lag persists),
 * then threads are tried again. Numbers never depend on it: a job gives the same bits either way.
 */

/** Jobs in a row with a long wait before backing off. */
const LAGGING_JOBS = 3;
const FIRST_BACKOFF_MS = 20;
const MAX_BACKOFF_MS = 1000;

export class LagGuard {
  private lagging = 0;
  private backoffMs = FIRST_BACKOFF_MS;
  private localUntil = 0;
  /** Times the guard sent jobs to the calling thread alone (for tests and benchmarks). */
  backoffs = 0;
  /** Off: every job may use the threads (tests that check the threads ran turn it off). */
  enabled = true;

  /** False while jobs should run on the calling thread alone. */
  allows(now: number): boolean {
    return !this.enabled || now >= this.localUntil;
  }

  /** One threaded job: ms the caller spent on its own chunks, then waiting for the helpers' last ones. */
  record(now: number, ownMs: number, waitMs: number): void {
    if (waitMs <= 0.5 * ownMs + 0.05) {
      this.lagging = 0;
      this.backoffMs = FIRST_BACKOFF_MS;
      return;
    }
    if (++this.lagging < LAGGING_JOBS) return;
    this.lagging = 0;
    this.localUntil = now + this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, 2 * this.backoffMs);
    this.backoffs++;
  }
}
