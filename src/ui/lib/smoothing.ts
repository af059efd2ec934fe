/**
 * TensorBoard's smoothing: an exponential moving average with bias correction, so the first points
 * are not dragged towards zero. weight 0 shows the raw curve; 0.99 is very smooth. Non-finite
 * values pass through unsmoothed (and do not poison the average), and a constant series stays
 * constant. Same algorithm as TensorBoard's scalar dashboard, so users see familiar curves.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`emaSmooth: weight must be in [0, 1), got ${weight}`);
  if (weight === 0) return values.slice();
  const finite = values.filter(Number.isFinite);
  if (finite.length > 0 && finite.every((v) => v === finite[0])) return values.slice();
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - weight ** count);
  });
}
