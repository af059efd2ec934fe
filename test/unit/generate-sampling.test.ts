/**
 * Host-side token choice (src/engine/sampling.ts): greedy, and temperature / top-k / top-p sampling
 * checked statistically against a distribution computed here independently, the way Hugging Face's
 * logits warpers compute it (mask below the k-th largest logit; ascending cumulative sum for top-p).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/random.ts';
import { argmax, checkSamplingOptions, chooseToken, samplingDistribution } from '../../src/engine/sampling.ts';

/** HF-style: TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, then softmax. */
function referenceProbs(logits: number[], temperature: number, topK: number, topP: number): number[] {
  let x = logits.map((l) => l / temperature);
  if (topK > 0) {
    const kth = [...x].sort((a, b) => b - a)[Math.min(topK, x.length) - 1];
    x = x.map((v) => (v < kth ? Number.NEGATIVE_INFINITY : v));
  }
  const softmax = (v: number[]) => {
    const m = Math.max(...v);
    const e = v.map((a) => Math.exp(a - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((a) => a / s);
  };
  let p = softmax(x);
  if (topP < 1) {
    const asc = p.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
    let cum = 0;
    const removed = new Set<number>();
    for (let j = 0; j < asc.length; j++) {
      cum += asc[j][0];
      // Remove while the cumulative mass from the bottom stays <= 1 - top_p, never the last (largest) one.
      if (cum <= 1 - topP && j < asc.length - 1) removed.add(asc[j][1]);
    }
    x = x.map((v, i) => (removed.has(i) ? Number.NEGATIVE_INFINITY : v));
    p = softmax(x);
  }
  return p;
}

function frequencies(
  logits: Float32Array,
  opts: { temperature: number; topK?: number; topP?: number },
  n: number,
  seed: number,
): number[] {
  const rng = new Rng(seed);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[chooseToken(logits, opts, rng)]++;
  return counts.map((c) => c / n);
}

describe('greedy', () => {
  it('is the argmax, lowest id on ties, and draws nothing from the rng', () => {
    const rng = new Rng(3);
    const before = new Rng(3).nextU32();
    expect(chooseToken(Float32Array.of(0.1, 2, -1, 2), {}, rng)).toBe(1);
    expect(chooseToken(Float32Array.of(0.1, 2, -1, 2), { temperature: 0 }, rng)).toBe(1);
    expect(rng.nextU32()).toBe(before);
    expect(argmax(Float32Array.of(9, 1, 8, 7, 8), 1, 4)).toBe(1);
  });

  it('top-k = 1 with any temperature is greedy', () => {
    const logits = Float32Array.of(0.3, 1.2, 1.19, -2);
    const rng = new Rng(5);
    for (let i = 0; i < 50; i++) expect(chooseToken(logits, { temperature: 1.5, topK: 1 }, rng)).toBe(1);
  });
});

describe('sampling distribution', () => {
  const logits = Float32Array.of(2.0, 1.5, 1.0, 0.5, 0.0, -1.0, 0.7);
  const cases = [
    { temperature: 1 },
    { temperature: 0.8, topK: 4 },
    { temperature: 1.3, topP: 0.7 },
    { temperature: 0.9, topK: 5, topP: 0.8 },
  ];

  for (const opts of cases) {
    it(`matches the independent reference for ${JSON.stringify(opts)}`, () => {
      const ref = referenceProbs([...logits], opts.temperature, opts.topK ?? 0, opts.topP ?? 1);
      const { ids, probs } = samplingDistribution(logits, opts);
      const dense = new Array<number>(logits.length).fill(0);
      ids.forEach((id, j) => {
        dense[id] = probs[j];
      });
      for (let i = 0; i < ref.length; i++) expect(dense[i]).toBeCloseTo(ref[i], 12);

      const n = 20000;
      const freq = frequencies(logits, opts, n, 17);
      for (let i = 0; i < ref.length; i++) {
        if (ref[i] === 0) expect(freq[i]).toBe(0);
        else expect(Math.abs(freq[i] - ref[i])).toBeLessThan(5 * Math.sqrt((ref[i] * (1 - ref[i])) / n));
      }
    });
  }

  it('top-p keeps the smallest head reaching p (exact support)', () => {
    // Probabilities 0.5, 0.3, 0.15, 0.05: p = 0.75 needs the first two, p = 0.85 the first three.
    const logits = Float32Array.from([0.5, 0.3, 0.15, 0.05].map(Math.log));
    expect(samplingDistribution(logits, { temperature: 1, topP: 0.75 }).ids).toEqual([0, 1]);
    expect(samplingDistribution(logits, { temperature: 1, topP: 0.85 }).ids).toEqual([0, 1, 2]);
    expect(samplingDistribution(logits, { temperature: 1, topP: 0.1 }).ids).toEqual([0]);
  });
});

describe('determinism and validation', () => {
  it('the same seed gives the same draws, another seed other draws', () => {
    const logits = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 40 }, () => chooseToken(logits, { temperature: 1, topP: 0.95 }, rng));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('rejects bad options with the option named', () => {
    expect(() => checkSamplingOptions({ temperature: -1 })).toThrow(/temperature/);
    expect(() => checkSamplingOptions({ topK: 1.5 })).toThrow(/topK/);
    expect(() => checkSamplingOptions({ topP: 0 })).toThrow(/topP/);
  });
});
