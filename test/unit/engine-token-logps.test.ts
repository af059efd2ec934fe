/**
 * SequenceScorer.tokenLogps: each token's log-prob equals a log-softmax computed in plain JS over
 * the model's next-token logits for that token's prefix (an independent path: no token_logprobs
 * op, no batching, no shift), masked tokens are 0, and the masked sum equals `score`'s sum.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend, padRows, SequenceScorer } from '../../src/engine/index.ts';
import { fullRecomputeLogits, paramStoreFor, tinyGpt2 } from './generate-helpers.ts';

function logSoftmaxAt(logits: Float32Array, id: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return logits[id] - max - Math.log(sum);
}

describe('SequenceScorer.tokenLogps', () => {
  it('matches a plain-JS log-softmax per token, is 0 where masked, and sums to score()', async () => {
    const backend = new CpuBackend();
    const model = tinyGpt2(5);
    const rows = [
      { ids: [1, 7, 12, 30, 4, 9, 2], mask: [0, 0, 0, 1, 1, 1, 1] },
      { ids: [1, 5, 6, 22, 40], mask: [0, 1, 1, 1, 1] },
    ];
    const batch = padRows(rows, 0, 8);
    const scorer = new SequenceScorer(model, model.weights, backend);
    const perToken = await scorer.tokenLogps(batch);
    const { sum } = await scorer.score(batch);
    const params = paramStoreFor(model, backend);
    for (const [b, row] of rows.entries()) {
      expect(perToken[b].length).toBe(row.ids.length);
      expect(perToken[b][0]).toBe(0);
      let total = 0;
      for (let t = 1; t < row.ids.length; t++) {
        if (row.mask[t] === 0) {
          expect(perToken[b][t]).toBe(0);
          continue;
        }
        const logits = await fullRecomputeLogits(model, params, row.ids.slice(0, t));
        const expected = logSoftmaxAt(logits, row.ids[t]);
        expect(expected).toBeLessThan(-0.01);
        expect(perToken[b][t]).toBeCloseTo(expected, 4);
        total += perToken[b][t];
      }
      expect(sum[b]).toBeCloseTo(total, 3);
    }
    params.dispose();
    scorer.dispose();
    backend.dispose();
  });
});
