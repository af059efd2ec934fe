import { describe, expect, it } from 'vitest';
import { HumanJudgeQueue } from '../../src/data/judges/human.ts';
import { applesOracle } from '../../src/data/judges/oracle.ts';
import type { Judge } from '../../src/data/judges/types.ts';
import { buildPairs, judgePairs, planPairs } from '../../src/data/pairing.ts';
import type { Candidate } from '../../src/data/types.ts';

const I1 = 'Create a list of four fruits other than Apple';
const I2 = 'Create a list of beach activities';
const I3 = 'Create a list of four fruits';
// Oracle scores (hand-computed): R1 1, R2 4/5 (mentions Apple), R3 1, Y 1/3, X 1.
const R1 = { instruction: I1, response: 'Orange, Blueberry, Kiwi, Banana' };
const R2 = { instruction: I1, response: 'Apple, Orange, Banana, Grape' };
const R3 = { instruction: I1, response: 'Kiwi, Mango, Pear, Fig' };
const Y = { instruction: I2, response: "wear sunscreen, don't litter" };
const X = { instruction: I3, response: 'Apple, Orange, Banana, Grape' };
const CANDIDATES: Candidate[] = [R1, R2, R3, Y, X, { ...R1 }];

const key = (c: Candidate) => `${c.instruction}|${c.response}`;
const rowKey = (r: { i_chosen: string; r_chosen: string; i_reject: string; r_reject: string }) =>
  `${r.i_chosen}|${r.r_chosen} > ${r.i_reject}|${r.r_reject}`;
const pref = (w: Candidate, l: Candidate) => `${key(w)} > ${key(l)}`;

describe('pairing with the oracle on a fixed candidate set', () => {
  it('counts every step and keeps exactly the hand-computed winners', async () => {
    const result = await buildPairs(CANDIDATES, applesOracle(), { mode: 'both', seed: 1, jointPairs: 100 });
    // Conditional: R1-R2 (R1), R1-R3 (equal), R2-R3 (R3). Joint (all 7 cross pairs): R1-Y, R2-Y, R3-Y
    // (the fruit lists), R1-X and R3-X (equal), R2-X (X), Y-X (X).
    expect(result.counts).toEqual({
      candidates: 6,
      duplicatesRemoved: 1,
      instructions: 3,
      conditionalAvailable: 3,
      jointAvailable: 7,
      conditionalPlanned: 3,
      jointPlanned: 7,
      comparisonsAsked: 20,
      consistent: 7,
      ties: 3,
      tiesInconsistent: 0,
      tiesEqual: 3,
      conditionalKept: 2,
      jointKept: 5,
    });
    expect(result.kinds).toEqual(['conditional', 'conditional', 'joint', 'joint', 'joint', 'joint', 'joint']);
    const rows = result.pairs.map(rowKey);
    expect(new Set(rows.slice(0, 2))).toEqual(new Set([pref(R1, R2), pref(R3, R2)]));
    expect(new Set(rows.slice(2))).toEqual(new Set([pref(R1, Y), pref(R2, Y), pref(R3, Y), pref(X, R2), pref(X, Y)]));
  });

  it('treats a judge that always picks the first position as inconsistent, keeping nothing', async () => {
    const biased: Judge = { name: 'first', compare: async () => ({ winner: 'a' }) };
    const r = await buildPairs(CANDIDATES, biased, { mode: 'conditional', seed: 1 });
    expect(r.counts.comparisonsAsked).toBe(6);
    expect([r.counts.tiesInconsistent, r.counts.tiesEqual, r.counts.consistent]).toEqual([3, 0, 0]);
    expect(r.pairs).toEqual([]);
  });

  it('spends a budget of judge calls, interleaving conditional and joint pairs', () => {
    const plan = planPairs(CANDIDATES, { mode: 'both', seed: 2, budget: 7 });
    expect(plan.pairs.map((p) => p.kind)).toEqual(['conditional', 'joint', 'conditional']);
    // Default joint target = number of conditional pairs (3).
    const full = planPairs(CANDIDATES, { mode: 'both', seed: 2 });
    expect([full.counts.conditionalPlanned, full.counts.jointPlanned]).toEqual([3, 3]);
    for (const p of full.pairs) {
      expect(p.a.instruction === p.b.instruction).toBe(p.kind === 'conditional');
    }
    expect(planPairs(CANDIDATES, { mode: 'joint', seed: 2 }).pairs.every((p) => p.kind === 'joint')).toBe(true);
  });

  it('is deterministic for a seed and changes with it', () => {
    const many: Candidate[] = [];
    for (let i = 0; i < 20; i++) for (let r = 0; r < 3; r++) many.push({ instruction: `i${i}`, response: `r${r}` });
    const a = planPairs(many, { mode: 'both', seed: 9 });
    expect(planPairs(many, { mode: 'both', seed: 9 })).toEqual(a);
    expect(planPairs(many, { mode: 'both', seed: 10 }).pairs).not.toEqual(a.pairs);
    // Sparse joint sampling: 60 distinct cross pairs out of 1710.
    expect(a.counts.jointAvailable).toBe((60 * 59) / 2 - 20 * 3);
    const jointKeys = a.pairs.filter((p) => p.kind === 'joint').map((p) => [key(p.a), key(p.b)].sort().join(' ~ '));
    expect(new Set(jointKeys).size).toBe(60);
  });
});

describe('human judge queue', () => {
  it('queues comparisons, resolves them on answers, and survives a JSON round trip', async () => {
    let t = 1000;
    const clock = () => t++;
    const q = new HumanJudgeQueue({ clock });
    const plan = planPairs([R1, R2, R3], { mode: 'conditional', seed: 3 });
    const running = judgePairs(plan, q, { concurrency: 3 });
    await new Promise((r) => setTimeout(r, 0));
    expect(q.pending().map((p) => p.id)).toEqual(['c1', 'c2', 'c3']);

    // Answer the first-order questions, then save and restore mid-way.
    for (const p of q.pending()) q.answer(p.id, 'a', 'looks better');
    await new Promise((r) => setTimeout(r, 0));
    const saved = JSON.parse(JSON.stringify(q.toJSON()));
    expect(saved.labels).toHaveLength(3);
    expect(saved.labels[0]).toMatchObject({ id: 'c1', winner: 'a', reason: 'looks better', askedAt: 1000 });
    expect(saved.pending.map((p: { id: string }) => p.id)).toEqual(['c4', 'c5', 'c6']);

    // The original run finishes: swapped-order answers 'b' make every pair consistent for side a.
    for (const p of q.pending()) q.answer(p.id, 'b');
    const result = await running;
    expect(result.counts.conditionalKept).toBe(3);
    expect(result.counts.consistent).toBe(3);

    // A restored queue answers already-labelled questions at once and keeps the pending ones.
    const restored = HumanJudgeQueue.fromJSON(saved, { clock });
    expect(restored.pending()).toHaveLength(3);
    const rerun = judgePairs(plan, restored, { concurrency: 3 });
    await new Promise((r) => setTimeout(r, 0));
    expect(restored.pending().map((p) => p.id)).toEqual(['c4', 'c5', 'c6']);
    restored.answer('c4', 'tie');
    restored.answer('c5', 'a');
    restored.answer('c6', 'b');
    const r2 = await rerun;
    expect([r2.counts.tiesEqual, r2.counts.tiesInconsistent, r2.counts.consistent]).toEqual([1, 1, 1]);
    expect(() => restored.answer('c4', 'a')).toThrow(/already answered/);
    expect(() => restored.answer('c99', 'a')).toThrow(/not in the queue/);
    expect(() => HumanJudgeQueue.fromJSON({} as never)).toThrow(/not a saved human-judge queue/);
  });
});
