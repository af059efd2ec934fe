import { describe, expect, it } from 'vitest';
import { etaMs, formatDuration } from '../../src/ui/lib/eta.ts';

describe('etaMs', () => {
  it('extrapolates the pace since the start mark', () => {
    // 10 steps in 5 s since the mark, 30 left: 15 s.
    expect(etaMs({ at: 1000, done: 2 }, { at: 6000, done: 12 }, 42)).toBeCloseTo(15_000, 6);
  });
  it('is unknown before any unit is done, and 0 when finished', () => {
    expect(etaMs({ at: 0, done: 0 }, { at: 5000, done: 0 }, 10)).toBeNull();
    expect(etaMs({ at: 0, done: 3 }, { at: 0, done: 3 }, 10)).toBeNull();
    expect(etaMs({ at: 0, done: 0 }, { at: 9000, done: 10 }, 10)).toBe(0);
  });
});

describe('formatDuration', () => {
  it('reads like a person would say it', () => {
    expect(formatDuration(400)).toBe('< 1 s');
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});
