/**
 * When the helpers cannot keep up (a machine busier than it has cores: other programs, or several
 * backends' pools at once), a threaded job ends with the calling thread waiting for a descheduled
 * helper's chunk, and threads make a step slower than one thread. The guard keeps decaying sums of
 * how long the caller worked on its own chunks and how long it then waited for the helpers' last
 * ones; when the waits outgrow half the work, jobs run on the calling thread alone for a while
 * (doubling while the lag persists), then threads are tried again. Numbers never depend on it: a
 * job gives the same bits either way.
 */

/** Weight of the past in the decaying sums, per job (about the last 20 jobs count). */
const DECAY = 0.95;
/** Back off when the waits exceed this share of the caller's own work (plus SLACK_MS). */
const LAG_SHARE = 0.5;
const SLACK_MS = 0.2;
const FIRST_BACKOFF_MS = 20;
const MAX_BACKOFF_MS = 1000;

export class LagGuard {
  private ownMs = 0;
  private waitMs = 0;
  private backoffMs = FIRST_BACKOFF_MS;
  private localUntil = 0;
  /** Whether the last backoff ended without a lag-free job since (then the next one is longer). */
  private recovering = false;
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
    this.ownMs = DECAY * this.ownMs + ownMs;
    this.waitMs = DECAY * this.waitMs + waitMs;
    if (this.waitMs <= LAG_SHARE * this.ownMs + SLACK_MS) {
      if (waitMs <= LAG_SHARE * ownMs) {
        this.recovering = false;
        this.backoffMs = FIRST_BACKOFF_MS;
      }
      return;
    }
    if (this.recovering) this.backoffMs = Math.min(MAX_BACKOFF_MS, 2 * this.backoffMs);
    this.recovering = true;
    this.localUntil = now + this.backoffMs;
    this.ownMs = 0;
    this.waitMs = 0;
    this.backoffs++;
  }
}
