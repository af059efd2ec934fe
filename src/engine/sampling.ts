/**
 * Next-token choice from one row of logits, on the host: greedy, or sampling with temperature,
 * top-k and top-p (nucleus), applied in that order as Hugging Face's generate() does.
 *
 * Determinism: every draw takes exactly one rng.next(), and candidates are ordered by
 * (probability desc, id asc), so the same logits and the same Rng state give the same token on any
 * platform. Greedy draws nothing.
 */
import type { Rng } from './random.ts';

export interface SamplingOptions {
  /** 0 (or absent) = greedy: the argmax, lowest id on ties. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: no limit). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or absent: no limit). */
  topP?: number;
}

export function isGreedy(opts: SamplingOptions): boolean {
  return !opts.temperature;
}

export function checkSamplingOptions(opts: SamplingOptions): void {
  const { temperature = 0, topK = 0, topP = 1 } = opts;
  if (!(Number.isFinite(temperature) && temperature >= 0)) {
    throw new Error(`sampling: temperature must be a number >= 0 (0 = greedy), got ${temperature}`);
  }
  if (!(Number.isInteger(topK) && topK >= 0)) throw new Error(`sampling: topK must be an integer >= 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`sampling: topP must be in (0, 1], got ${topP}`);
}

/** Index of the largest value in logits[offset, offset + n); the lowest index wins ties. */
export function argmax(logits: ArrayLike<number>, offset = 0, n = logits.length - offset): number {
  let best = 0;
  let bestV = logits[offset];
  for (let i = 1; i < n; i++) {
    const v = logits[offset + i];
    if (v > bestV) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

/**
 * The distribution sampling draws from: softmax(logits / temperature) restricted to the top-k and
 * then to the top-p nucleus, renormalized. Returned as (ids, probs) in candidate order
 * (probability desc, id asc). Requires temperature > 0.
 */
export function samplingDistribution(
  logits: ArrayLike<number>,
  opts: SamplingOptions,
  offset = 0,
  n = logits.length - offset,
): { ids: number[]; probs: number[] } {
  const temperature = opts.temperature ?? 0;
  if (!(temperature > 0)) throw new Error('samplingDistribution: needs temperature > 0 (greedy has no distribution)');
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = logits[offset + i] / temperature;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scaled[b] - scaled[a] || a - b);
  const k = opts.topK && opts.topK < n ? opts.topK : n;
  const ids = order.slice(0, k);
  const max = scaled[ids[0]];
  let probs = ids.map((id) => Math.exp(scaled[id] - max));
  let total = probs.reduce((s, p) => s + p, 0);
  probs = probs.map((p) => p / total);
  const topP = opts.topP ?? 1;
  if (topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < probs.length) {
      cum += probs[keep];
      keep++;
      if (cum >= topP) break;
    }
    ids.length = keep;
    probs = probs.slice(0, keep);
    total = probs.reduce((s, p) => s + p, 0);
    probs = probs.map((p) => p / total);
  }
  return { ids, probs };
}

/** Chooses the next token id from logits[offset, offset + n). */
export function chooseToken(
  logits: ArrayLike<number>,
  opts: SamplingOptions,
  rng: Rng,
  offset = 0,
  n = logits.length - offset,
): number {
  if (isGreedy(opts)) return argmax(logits, offset, n);
  const { ids, probs } = samplingDistribution(logits, opts, offset, n);
  const u = rng.next();
  let cum = 0;
  for (let i = 0; i < ids.length; i++) {
    cum += probs[i];
    if (u < cum) return ids[i];
  }
  return ids[ids.length - 1];
}
