import { describe, expect, it } from 'vitest';
import { HumanJudgeQueue } from '../../src/data/judges/human.ts';
import { applesOracle } from '../../src/data/judges/oracle.ts';
import type { Judge } from '../../src/data/judges/types.ts';
import { buildPairs, judgePairs, planPairs } from '../../src/data/pairing.ts';
import { JOINT_SHARE, pairForRun, pairingMechanism, planRunPairs } from '../../src/data/run-pairing.ts';
import { appleCandidates } from '../../src/data/tasks/apples-candidates.ts';
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
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('queues comparisons, resolves them on answers, and survives a JSON round trip', async () => {
    let t = 1000;
    const clock = () => t++;
    const q = new HumanJudgeQueue({ clock });
    const plan = planPairs([R1, R2, R3], { mode: 'conditional', seed: 3 });
    const running = judgePairs(plan, q, { concurrency: 3 });
    await tick();
    expect(q.pending().map((p) => p.id)).toEqual(['c1', 'c2', 'c3']);

    // Answer two of the three, then save and restore mid-way. The swapped orders of the answered
    // pairs are not asked (a person is asked once per pair), so only the unanswered one is pending.
    q.answer('c1', 'a', 'looks better');
    q.answer('c2', 'b');
    await tick();
    const saved = JSON.parse(JSON.stringify(q.toJSON()));
    expect(saved.labels).toHaveLength(2);
    expect(saved.labels[0]).toMatchObject({ id: 'c1', winner: 'a', reason: 'looks better', askedAt: 1000 });
    expect(saved.pending.map((p: { id: string }) => p.id)).toEqual(['c3']);

    // The original run finishes: the mirrored answers make every answered pair consistent.
    q.answer('c3', 'a');
    const result = await running;
    expect(result.counts.conditionalKept).toBe(3);
    expect(result.counts.consistent).toBe(3);
    expect(q.labels()).toHaveLength(3);

    // A restored queue answers already-labelled pairs at once and keeps the pending one.
    const restored = HumanJudgeQueue.fromJSON(saved, { clock });
    expect(restored.pending()).toHaveLength(1);
    const rerun = judgePairs(plan, restored, { concurrency: 3 });
    await tick();
    expect(restored.pending().map((p) => p.id)).toEqual(['c3']);
    restored.answer('c3', 'tie');
    const r2 = await rerun;
    expect([r2.counts.tiesEqual, r2.counts.tiesInconsistent, r2.counts.consistent]).toEqual([1, 0, 2]);
    expect(() => restored.answer('c3', 'a')).toThrow(/already answered/);
    expect(() => restored.answer('c99', 'a')).toThrow(/not in the queue/);
    expect(() => HumanJudgeQueue.fromJSON({} as never)).toThrow(/not a saved human-judge queue/);
  });

  it('asks a person once per pair: the swapped order reuses the answer, mirrored', async () => {
    const q = new HumanJudgeQueue();
    // Swapped order asked while the first is still pending: same question, mirrored verdict.
    const ab = q.compare(R1, R2);
    const ba = q.compare(R2, R1);
    expect(q.pending().map((p) => [p.id, key(p.a), key(p.b)])).toEqual([['c1', key(R1), key(R2)]]);
    q.answer('c1', 'a', 'R2 mentions Apple');
    expect(await ab).toEqual({ winner: 'a', reason: 'R2 mentions Apple' });
    expect(await ba).toEqual({ winner: 'b', reason: 'R2 mentions Apple' });
    // Swapped order asked after the answer: resolved at once, nothing new to ask.
    expect((await q.compare(R2, R1)).winner).toBe('b');
    // A tie stays a tie; 'b' mirrors to 'a'.
    const yx = q.compare(Y, X);
    q.answer('c2', 'tie');
    expect((await yx).winner).toBe('tie');
    expect((await q.compare(X, Y)).winner).toBe('tie');
    const r3 = q.compare(R3, X);
    q.answer('c3', 'b');
    expect([(await r3).winner, (await q.compare(X, R3)).winner]).toEqual(['b', 'a']);
    expect(q.pending()).toEqual([]);
    expect(q.labels().map((l) => l.id)).toEqual(['c1', 'c2', 'c3']);
  });

  it('abandon() rejects every waiting compare; the question stays answerable', async () => {
    const q = new HumanJudgeQueue();
    const waiting = q.compare(R1, R2);
    const swapped = q.compare(R2, R1);
    q.abandon(new Error('run cancelled'));
    await expect(waiting).rejects.toThrow('run cancelled');
    await expect(swapped).rejects.toThrow('run cancelled');
    expect(q.pending()).toHaveLength(1);
    const again = q.compare(R1, R2);
    q.answer('c1', 'b');
    expect((await again).winner).toBe('b');
  });

  it('pairing with a queue answered concurrently gives the same pairs as a sequential judge', async () => {
    const many: Candidate[] = [R1, R2, R3, Y, X];
    for (let i = 0; i < 6; i++)
      many.push({ instruction: I1, response: ['Kiwi, Fig', 'Apple, Pear', 'Lime'][i % 3] + i });
    const opts = { mode: 'both' as const, seed: 5, budget: 2 * 9 };
    const oracle = applesOracle();
    const reference = await buildPairs(many, oracle, opts);

    // The person: answers whatever is pending with the oracle's verdict on (a, b), newest first so that
    // the answer order differs from the plan order, one answer per macrotask.
    const q = new HumanJudgeQueue();
    let stop = false;
    const person = (async () => {
      while (!stop) {
        const p = q.pending().at(-1);
        if (p) q.answer(p.id, (await oracle.compare(p.a, p.b)).winner);
        await tick();
      }
    })();
    const plan = planPairs(many, opts);
    const viaHuman = await judgePairs(plan, q, { concurrency: 4 });
    stop = true;
    await person;

    expect(viaHuman.pairs).toEqual(reference.pairs);
    expect(viaHuman.kinds).toEqual(reference.kinds);
    expect(viaHuman.counts).toEqual(reference.counts);
    expect(reference.pairs.length).toBeGreaterThan(3);
    // One question per planned pair, not two.
    expect(q.labels()).toHaveLength(plan.pairs.length);
    const asked = q.labels().map((l) => [key(l.a), key(l.b)].sort().join(' ~ '));
    expect(new Set(asked).size).toBe(plan.pairs.length);
  });
});

describe('per-run pairing with a judge budget (budget-matched arms)', () => {
  const pool = appleCandidates({ seed: 4, nInstructions: 40 });
  const budget = 300;

  it('gives DPO and JPO the same judge calls; DPO asks conditional questions only, JPO half joint', async () => {
    const oracle = applesOracle();
    const dpo = await pairForRun(pool, oracle, { judgeCalls: budget, jointShare: JOINT_SHARE.dpo, seed: 3 });
    const jpo = await pairForRun(pool, oracle, { judgeCalls: budget, jointShare: JOINT_SHARE.jpo, seed: 3 });
    expect(dpo.counts.judgeCalls).toBe(budget);
    expect(jpo.counts.judgeCalls).toBe(budget);
    expect(dpo.counts.judged).toEqual({ conditional: 150, joint: 0 });
    expect(jpo.counts.judged).toEqual({ conditional: 75, joint: 75 });
    expect(dpo.kinds.every((k) => k === 'conditional')).toBe(true);
    expect(dpo.rows.every((r) => r.i_chosen === r.i_reject)).toBe(true);
    expect(jpo.counts.pairs.joint).toBeGreaterThan(0);
    // Conditional rows first, then joint; kinds match the rows.
    expect(jpo.kinds).toEqual(jpo.rows.map((r) => (r.i_chosen === r.i_reject ? 'conditional' : 'joint')));
    expect(jpo.kinds.indexOf('joint')).toBe(jpo.counts.pairs.conditional);
    // The oracle compares scores: reports must say its joint verdicts are score comparisons.
    expect(jpo.counts.verdictBasis).toBe('score-comparison');
  });

  it("JPO's conditional questions are the first ones DPO asks (one order per pool and seed)", () => {
    const dpo = planRunPairs(pool, { judgeCalls: budget, jointShare: 0, seed: 3 });
    const jpo = planRunPairs(pool, { judgeCalls: budget, jointShare: 0.5, seed: 3 });
    const cond = (ps: typeof dpo.pairs) => ps.filter((p) => p.kind === 'conditional').map((p) => [key(p.a), key(p.b)]);
    expect(cond(jpo.pairs)).toEqual(cond(dpo.pairs).slice(0, 75));
    // The joint order does not depend on the mix either.
    const joint = (ps: typeof dpo.pairs) => ps.filter((p) => p.kind === 'joint').map((p) => [key(p.a), key(p.b)]);
    const allJoint = planRunPairs(pool, { judgeCalls: budget, jointShare: 1, seed: 3 });
    expect(joint(jpo.pairs)).toEqual(joint(allJoint.pairs).slice(0, 75));
    // Asking order interleaves the kinds.
    expect(jpo.pairs.slice(0, 4).map((p) => p.kind)).toEqual(['conditional', 'joint', 'conditional', 'joint']);
  });

  it('is deterministic for the same pool and seed and changes with the seed', async () => {
    const oracle = applesOracle();
    const a = await pairForRun(pool, oracle, { judgeCalls: 120, jointShare: 0.5, seed: 8 });
    expect(await pairForRun([...pool], oracle, { judgeCalls: 120, jointShare: 0.5, seed: 8 })).toEqual(a);
    const b = await pairForRun(pool, oracle, { judgeCalls: 120, jointShare: 0.5, seed: 9 });
    expect(b.judged.map((j) => [key(j.a), key(j.b)])).not.toEqual(a.judged.map((j) => [key(j.a), key(j.b)]));
  });

  it('keeps exactly the hand-computed winners of the small fixed set, with per-kind counts', async () => {
    // Full budget: 3 conditional pairs (2 kept, 1 tie) and 7 joint pairs (5 kept, 2 ties); see the first test.
    const r = await pairForRun(CANDIDATES, applesOracle(), { judgeCalls: 20, jointShare: 0.7, seed: 1 });
    expect(r.counts).toEqual({
      budget: 20,
      judgeCalls: 20,
      available: { conditional: 3, joint: 7 },
      judged: { conditional: 3, joint: 7 },
      pairs: { conditional: 2, joint: 5 },
      ties: { conditional: 1, joint: 2 },
      inconsistent: 0,
      inconsistentByKind: { conditional: 0, joint: 0 },
      verdictBasis: 'score-comparison',
    });
    const rows = r.rows.map(rowKey);
    expect(new Set(rows.slice(0, 2))).toEqual(new Set([pref(R1, R2), pref(R3, R2)]));
    expect(new Set(rows.slice(2))).toEqual(new Set([pref(R1, Y), pref(R2, Y), pref(R3, Y), pref(X, R2), pref(X, Y)]));
    expect(pairingMechanism(r.counts)).toEqual({
      tieRate: { conditional: 1 / 3, joint: 2 / 7 },
      dropRate: { conditional: 1 / 3, joint: 2 / 7 },
      pairsPer100Calls: (100 * 7) / 20,
    });
  });

  it('counts a position-biased judge as inconsistent and keeps nothing', async () => {
    const biased: Judge = { name: 'first', compare: async () => ({ winner: 'a' }) };
    const r = await pairForRun(CANDIDATES, biased, { judgeCalls: 20, jointShare: 0.5, seed: 1 });
    expect(r.counts.inconsistentByKind).toEqual({ conditional: 3, joint: 5 });
    expect(r.counts.inconsistent).toBe(8);
    expect(r.counts.pairs).toEqual({ conditional: 0, joint: 0 });
    expect(r.rows).toEqual([]);
    expect(pairingMechanism(r.counts).pairsPer100Calls).toBe(0);
    expect(r.counts.verdictBasis).toBe('pairwise');
  });

  it('leaves budget unspent when the pool runs out, and odd budgets round down to whole pairs', async () => {
    const r = await pairForRun(CANDIDATES, applesOracle(), { judgeCalls: 21, jointShare: 0, seed: 1 });
    expect([r.counts.budget, r.counts.judgeCalls, r.counts.judged.conditional]).toEqual([21, 6, 3]);
    const odd = planRunPairs(CANDIDATES, { judgeCalls: 7, jointShare: 0.5, seed: 1 });
    expect(odd.pairs.map((p) => p.kind)).toEqual(['conditional', 'joint', 'joint']);
    expect(planRunPairs(CANDIDATES, { judgeCalls: 0, jointShare: 0.5, seed: 1 }).pairs).toEqual([]);
    expect(
      pairingMechanism(
        (await pairForRun(CANDIDATES, applesOracle(), { judgeCalls: 0, jointShare: 0, seed: 1 })).counts,
      ),
    ).toEqual({
      tieRate: { conditional: null, joint: null },
      dropRate: { conditional: null, joint: null },
      pairsPer100Calls: 0,
    });
  });

  it('samples joint pairs without repeats from a large pool (rejection sampling)', () => {
    const big: Candidate[] = [];
    for (let i = 0; i < 400; i++) for (let r = 0; r < 2; r++) big.push({ instruction: `i${i}`, response: `r${r}` });
    const plan = planRunPairs(big, { judgeCalls: 2000, jointShare: 1, seed: 2 });
    expect(plan.available.joint).toBe((800 * 799) / 2 - 400);
    const keys = plan.pairs.map((p) => [key(p.a), key(p.b)].sort().join(' ~ '));
    expect(new Set(keys).size).toBe(1000);
    expect(plan.pairs.every((p) => p.a.instruction !== p.b.instruction)).toBe(true);
    const fewer = planRunPairs(big, { judgeCalls: 200, jointShare: 1, seed: 2 });
    expect(fewer.pairs).toEqual(plan.pairs.slice(0, 100));
  });

  it('says what is wrong with bad options', () => {
    expect(() => planRunPairs(CANDIDATES, { judgeCalls: -2, jointShare: 0, seed: 1 })).toThrow(
      /whole number of judge calls/,
    );
    expect(() => planRunPairs(CANDIDATES, { judgeCalls: 10, jointShare: 2, seed: 1 })).toThrow(
      /jointShare must be in \[0, 1\]/,
    );
    expect(() => planRunPairs([{ instruction: 'x' } as Candidate], { judgeCalls: 10, jointShare: 0, seed: 1 })).toThrow(
      /candidate pool item 0 needs string fields/,
    );
  });
});
