import { describe, expect, it } from 'vitest';
import { renderInstruction, splitSpecs } from '../../src/data/tasks/apples.ts';
import { APPLES_SPLIT } from '../../src/lab/pipeline/task-data.ts';
import { buildLabelQueue, LABEL_QUEUE_SIZE, labelsToRows, nextPair } from '../../src/state/label-queue.ts';
import type { HumanPairLabel } from '../../src/state/runs-db.ts';

describe('label queue', () => {
  const queue = buildLabelQueue(42);

  it('mixes conditional and joint pairs, shaped as the names say, deterministically', () => {
    expect(queue.length).toBe(LABEL_QUEUE_SIZE);
    const kinds = new Set(queue.map((p) => p.kind));
    expect(kinds).toEqual(new Set(['conditional', 'joint']));
    for (const p of queue) {
      if (p.kind === 'conditional') expect(p.a.instruction).toBe(p.b.instruction);
      else expect(p.a.instruction).not.toBe(p.b.instruction);
    }
    expect(new Set(queue.map((p) => p.key)).size).toBe(queue.length);
    expect(buildLabelQueue(42)).toEqual(queue);
    expect(buildLabelQueue(43)).not.toEqual(queue);
  });

  it('uses training instructions only: nothing a person labels is ever a held-out question', () => {
    const test = new Set(splitSpecs(APPLES_SPLIT.seed, APPLES_SPLIT.testFraction).test.map(renderInstruction));
    for (const seed of [1, 42, 1234]) {
      for (const p of buildLabelQueue(seed)) {
        expect(test.has(p.a.instruction)).toBe(false);
        expect(test.has(p.b.instruction)).toBe(false);
      }
    }
  });

  it('turns answers into rows with the winner as chosen, dropping ties and skips', () => {
    const [p, q, r, s] = queue;
    const label = (pair: typeof p, winner: HumanPairLabel['winner'], at: number): HumanPairLabel => ({
      ...pair,
      winner,
      answeredAt: at,
    });
    const labels = [label(p, 'a', 1), label(q, 'b', 2), label(r, 'tie', 3), label(s, 'skip', 4)];
    expect(labelsToRows(labels)).toEqual([
      { i_chosen: p.a.instruction, r_chosen: p.a.response, i_reject: p.b.instruction, r_reject: p.b.response },
      { i_chosen: q.b.instruction, r_chosen: q.b.response, i_reject: q.a.instruction, r_reject: q.a.response },
    ]);
    expect(nextPair(queue, labels)).toBe(queue[4]);
    expect(
      nextPair(
        queue,
        queue.map((x, i) => label(x, 'skip', i)),
      ),
    ).toBeNull();
  });
});
