import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/random.ts';
import { downsampleMinMax } from '../../src/ui/lib/downsample.ts';

interface P {
  step: number;
  y: number;
}

function noisySeries(n: number, seed: number): P[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, step) => ({ step, y: Math.exp(-step / 3000) + 0.05 * (rng.next() - 0.5) }));
}

describe('downsampleMinMax', () => {
  it('keeps every point up to the cap, as a copy', () => {
    const pts = noisySeries(500, 1);
    const out = downsampleMinMax(pts, 500, (p) => p.y);
    expect(out).toEqual(pts);
    expect(out).not.toBe(pts);
  });

  it('caps 10,000+ points, keeps order, first and last, and only original points', () => {
    const pts = noisySeries(12_345, 2);
    const out = downsampleMinMax(pts, 600, (p) => p.y);
    expect(out.length).toBeLessThanOrEqual(600);
    expect(out.length).toBeGreaterThan(500);
    expect(out[0]).toBe(pts[0]);
    expect(out[out.length - 1]).toBe(pts[pts.length - 1]);
    for (let i = 1; i < out.length; i++) expect(out[i].step).toBeGreaterThan(out[i - 1].step);
    for (const p of out) expect(pts[p.step]).toBe(p);
  });

  it('keeps isolated spikes and dips that plain decimation (every k-th point) loses', () => {
    const pts = noisySeries(10_000, 3);
    const spikes = [1234, 5001, 8888];
    pts[spikes[0]].y = 50;
    pts[spikes[1]].y = -50;
    pts[spikes[2]].y = 30;
    const out = downsampleMinMax(pts, 400, (p) => p.y);
    for (const s of spikes) expect(out.some((p) => p.step === s)).toBe(true);
    const decimated = pts.filter((_, i) => i % 25 === 0);
    expect(spikes.some((s) => decimated.some((p) => p.step === s))).toBe(false);
  });

  it('preserves the envelope: every point has a kept point as high and one as low within a bucket', () => {
    const pts = noisySeries(7_777, 4);
    const maxPoints = 300;
    const out = downsampleMinMax(pts, maxPoints, (p) => p.y);
    const bucketWidth = Math.ceil(pts.length / Math.floor((maxPoints - 2) / 2));
    for (const p of pts) {
      const near = out.filter((q) => Math.abs(q.step - p.step) <= bucketWidth);
      expect(Math.max(...near.map((q) => q.y))).toBeGreaterThanOrEqual(p.y);
      expect(Math.min(...near.map((q) => q.y))).toBeLessThanOrEqual(p.y);
    }
  });

  it('never picks NaN as a bucket extreme and rejects a tiny cap', () => {
    const pts = noisySeries(2_000, 5);
    for (let i = 100; i < 200; i++) pts[i].y = Number.NaN;
    const out = downsampleMinMax(pts, 100, (p) => p.y);
    expect(out.filter((p) => Number.isNaN(p.y))).toEqual([]);
    expect(() => downsampleMinMax(pts, 3, (p) => p.y)).toThrow(/at least 4/);
  });
});
