/**
 * Time left for a stage or run, from how fast its units (steps, samples, comparisons) have gone by
 * so far. The first report of a stage is the start mark: time spent before it (loading, shader
 * compilation) says nothing about the pace of the units.
 */
export interface ProgressMark {
  /** Milliseconds (any clock, the same for both marks). */
  at: number;
  done: number;
}

/** Milliseconds left, or null while the pace is unknown (fewer than one unit done since the start mark). */
export function etaMs(start: ProgressMark, latest: ProgressMark, total: number): number | null {
  const units = latest.done - start.done;
  const elapsed = latest.at - start.at;
  if (latest.done >= total) return 0;
  if (units <= 0 || elapsed <= 0) return null;
  return ((total - latest.done) * elapsed) / units;
}

/** "45 s", "3 min 05 s", "1 h 02 min"; "< 1 s" for tiny values. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 1) return '< 1 s';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
