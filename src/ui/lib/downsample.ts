/**
 * Downsampling for charts. A run can log 10,000+ steps; drawing every point makes recharts slow
 * and the page janky, so a chart draws at most `maxPoints` per series. Below that nothing is
 * dropped. Above it, the series is cut into equal buckets of consecutive points and each bucket
 * keeps its lowest and its highest point (in step order), so spikes and dips, the things a student
 * should see (a loss blow-up, a margin collapse), survive; the first and last points are always kept.
 */

/**
 * Keeps every point when there are at most `maxPoints`; otherwise about `maxPoints` of them: per
 * bucket the min and max by `value`. Points whose value is not finite are kept as they are only in
 * the small case; in buckets they never win min/max (they cannot be drawn anyway).
 */
export function downsampleMinMax<T>(points: readonly T[], maxPoints: number, value: (p: T) => number): T[] {
  if (!(maxPoints >= 4)) throw new Error(`downsampleMinMax: maxPoints must be at least 4, got ${maxPoints}`);
  const n = points.length;
  if (n <= maxPoints) return points.slice();
  const first = 0;
  const last = n - 1;
  // First and last are kept separately; the interior gets two points per bucket.
  const buckets = Math.floor((maxPoints - 2) / 2);
  const interior = n - 2;
  const out: T[] = [points[first]];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * interior) / buckets);
    const end = 1 + Math.floor(((b + 1) * interior) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = value(points[i]);
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < value(points[lo])) lo = i;
      if (hi < 0 || v > value(points[hi])) hi = i;
    }
    if (lo < 0) continue;
    if (lo === hi) out.push(points[lo]);
    else if (lo < hi) out.push(points[lo], points[hi]);
    else out.push(points[hi], points[lo]);
  }
  out.push(points[last]);
  return out;
}
