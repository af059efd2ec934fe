/**
 * The paper's protocol for building preference data from (instruction, response) candidates:
 *
 * 1. Candidates are de-duplicated (exact (instruction, response) repeats are removed and counted).
 * 2. Conditional pairs: every two responses to the same instruction. Joint pairs: two candidates
 *    with different instructions, sampled without repetition (default: as many as there are
 *    conditional pairs, or as many as candidates when there are none); all of them when fewer exist.
 * 3. Both lists are shuffled with the seed; in mode 'both' they are interleaved (conditional, joint,
 *    conditional, ...) so that a budget splits evenly. The budget counts judge calls: each pair
 *    costs two, so at most floor(budget / 2) pairs are judged.
 * 4. Each pair is judged twice, (a, b) then (b, a). A side wins only when both verdicts name it;
 *    opposite positions winning ("a" then "a") is an inconsistent verdict and any "tie" an equal
 *    one; both kinds are ties and are dropped.
 * 5. Kept pairs are returned in the paper's format, conditional ones first, then joint ones (the
 *    paper trains on the two concatenated; DPO uses the conditional part only).
 */
import { Rng } from '../engine/random.ts';
import type { Judge, Verdict } from './judges/types.ts';
import type { Candidate, PreferenceRow } from './types.ts';

export const PAIRING_MODES = ['conditional', 'joint', 'both'] as const;
export type PairingMode = (typeof PAIRING_MODES)[number];
export type PairKind = 'conditional' | 'joint';

export interface PairingOptions {
  mode: PairingMode;
  seed: number;
  /** Maximum judge calls (two per pair). Default: no limit. */
  budget?: number;
  /** How many joint pairs to consider (see the header for the default). */
  jointPairs?: number;
  /** Pairs judged at the same time (default 1; a human queue can take them all at once). */
  concurrency?: number;
  onProgress?: (p: { judged: number; planned: number }) => void;
}

export interface PlannedPair {
  kind: PairKind;
  a: Candidate;
  b: Candidate;
}

export interface PairingCounts {
  candidates: number;
  duplicatesRemoved: number;
  instructions: number;
  conditionalAvailable: number;
  jointAvailable: number;
  conditionalPlanned: number;
  jointPlanned: number;
  /** Judge calls made (two per judged pair). */
  comparisonsAsked: number;
  consistent: number;
  ties: number;
  tiesInconsistent: number;
  tiesEqual: number;
  conditionalKept: number;
  jointKept: number;
}

export interface JudgedPair extends PlannedPair {
  first: Verdict;
  second: Verdict;
  outcome: 'a' | 'b' | 'inconsistent' | 'equal';
}

export interface PairingResult {
  pairs: PreferenceRow[];
  kinds: PairKind[];
  judged: JudgedPair[];
  counts: PairingCounts;
}

export interface PairPlan {
  pairs: PlannedPair[];
  counts: Pick<
    PairingCounts,
    | 'candidates'
    | 'duplicatesRemoved'
    | 'instructions'
    | 'conditionalAvailable'
    | 'jointAvailable'
    | 'conditionalPlanned'
    | 'jointPlanned'
  >;
}

/** Steps 1-3: which pairs to ask about, in order. Deterministic for a seed. */
export function planPairs(candidates: Candidate[], opts: Omit<PairingOptions, 'concurrency' | 'onProgress'>): PairPlan {
  const rng = new Rng(opts.seed);
  const unique = dedupeCandidates(candidates);
  const groups = groupByInstruction(unique);
  const conditional = conditionalPairs(unique, groups);
  const n = unique.length;
  let jointAvailable = (n * (n - 1)) / 2;
  for (const m of groups.values()) jointAvailable -= (m.length * (m.length - 1)) / 2;

  const wantsConditional = opts.mode !== 'joint';
  const wantsJoint = opts.mode !== 'conditional';
  const condList = wantsConditional ? rng.shuffle(conditional) : [];
  const jointTarget = Math.min(jointAvailable, opts.jointPairs ?? (conditional.length > 0 ? conditional.length : n));
  const jointList = wantsJoint ? sampleJoint(unique, jointTarget, jointAvailable, rng) : [];

  let pairs = interleave(condList, jointList);
  if (opts.budget !== undefined) {
    if (!(opts.budget >= 0)) throw new Error(`budget must be a number of judge calls >= 0, got ${opts.budget}`);
    pairs = pairs.slice(0, Math.floor(opts.budget / 2));
  }
  return {
    pairs,
    counts: {
      candidates: candidates.length,
      duplicatesRemoved: candidates.length - n,
      instructions: groups.size,
      conditionalAvailable: conditional.length,
      jointAvailable,
      conditionalPlanned: pairs.filter((p) => p.kind === 'conditional').length,
      jointPlanned: pairs.filter((p) => p.kind === 'joint').length,
    },
  };
}

/** `target` distinct unordered pairs with different instructions, in random order. */
function sampleJoint(items: Candidate[], target: number, available: number, rng: Rng): PlannedPair[] {
  if (target <= 0) return [];
  // Dense: shuffle every cross pair. Sparse: at most half the cross pairs are wanted, so each draw succeeds often.
  return target * 2 >= available
    ? rng.shuffle(allJointPairs(items)).slice(0, target)
    : drawJointPairs(items, target, rng);
}

/** Candidates without repeats (same instruction and response), first occurrence kept, in order. */
export function dedupeCandidates(pool: readonly Candidate[]): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of pool) {
    const key = JSON.stringify([c.instruction, c.response]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ instruction: c.instruction, response: c.response });
  }
  return out;
}

/** Indices of the items per instruction, instructions in order of first appearance. */
export function groupByInstruction(items: readonly Candidate[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  items.forEach((c, k) => {
    const g = groups.get(c.instruction);
    if (g) g.push(k);
    else groups.set(c.instruction, [k]);
  });
  return groups;
}

/** Every pair of two answers to the same instruction, group by group (not shuffled). */
export function conditionalPairs(items: readonly Candidate[], groups: Map<string, number[]>): PlannedPair[] {
  const out: PlannedPair[] = [];
  for (const m of groups.values()) {
    for (let x = 0; x < m.length; x++) {
      for (let y = x + 1; y < m.length; y++) out.push({ kind: 'conditional', a: items[m[x]], b: items[m[y]] });
    }
  }
  return out;
}

/** Every unordered pair of items with different instructions (not shuffled). */
export function allJointPairs(items: readonly Candidate[]): PlannedPair[] {
  const out: PlannedPair[] = [];
  for (let x = 0; x < items.length; x++) {
    for (let y = x + 1; y < items.length; y++) {
      if (items[x].instruction !== items[y].instruction) out.push({ kind: 'joint', a: items[x], b: items[y] });
    }
  }
  return out;
}

/**
 * `target` distinct joint pairs drawn at random (rejection sampling), for pools too large to list
 * every cross pair; `target` must not exceed the joint pairs available.
 */
export function drawJointPairs(items: readonly Candidate[], target: number, rng: Rng): PlannedPair[] {
  const n = items.length;
  const out: PlannedPair[] = [];
  const taken = new Set<number>();
  while (out.length < target) {
    let x = rng.int(n);
    let y = rng.int(n);
    if (x === y || items[x].instruction === items[y].instruction) continue;
    if (x > y) [x, y] = [y, x];
    const key = x * n + y;
    if (taken.has(key)) continue;
    taken.add(key);
    out.push({ kind: 'joint', a: items[x], b: items[y] });
  }
  return out;
}

/** Conditional and joint pairs alternated (c0, j0, c1, j1, ...), the longer list's rest at the end. */
export function interleave(conditional: readonly PlannedPair[], joint: readonly PlannedPair[]): PlannedPair[] {
  const pairs: PlannedPair[] = [];
  for (let k = 0; k < Math.max(conditional.length, joint.length); k++) {
    if (k < conditional.length) pairs.push(conditional[k]);
    if (k < joint.length) pairs.push(joint[k]);
  }
  return pairs;
}

/** Asks the judge about every pair in both orders (`concurrency` pairs at a time), in the pairs' order. */
export async function judgeBothOrders(
  pairs: readonly PlannedPair[],
  judge: Judge,
  opts: Pick<PairingOptions, 'concurrency' | 'onProgress'>,
): Promise<JudgedPair[]> {
  const judged: JudgedPair[] = new Array(pairs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < pairs.length) {
      const k = next++;
      const p = pairs[k];
      const first = await judge.compare(p.a, p.b);
      const second = await judge.compare(p.b, p.a);
      judged[k] = { ...p, first, second, outcome: outcomeOf(first, second) };
      opts.onProgress?.({ judged: ++done, planned: pairs.length });
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency ?? 1, pairs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return judged;
}

/** Steps 4-5: asks the judge about every planned pair in both orders and keeps consistent winners. */
export async function judgePairs(
  plan: PairPlan,
  judge: Judge,
  opts: Pick<PairingOptions, 'concurrency' | 'onProgress'> = {},
): Promise<PairingResult> {
  const judged = await judgeBothOrders(plan.pairs, judge, opts);

  const kept = (kind: PairKind) => judged.filter((j) => j.kind === kind && (j.outcome === 'a' || j.outcome === 'b'));
  const ordered = [...kept('conditional'), ...kept('joint')];
  const tiesInconsistent = judged.filter((j) => j.outcome === 'inconsistent').length;
  const tiesEqual = judged.filter((j) => j.outcome === 'equal').length;
  return {
    pairs: ordered.map(toRow),
    kinds: ordered.map((j) => j.kind),
    judged,
    counts: {
      ...plan.counts,
      comparisonsAsked: 2 * judged.length,
      consistent: judged.length - tiesInconsistent - tiesEqual,
      ties: tiesInconsistent + tiesEqual,
      tiesInconsistent,
      tiesEqual,
      conditionalKept: kept('conditional').length,
      jointKept: kept('joint').length,
    },
  };
}

/** planPairs then judgePairs. */
export async function buildPairs(candidates: Candidate[], judge: Judge, opts: PairingOptions): Promise<PairingResult> {
  return judgePairs(planPairs(candidates, opts), judge, opts);
}

/** first judged (a, b), second judged (b, a). */
export function outcomeOf(first: Verdict, second: Verdict): JudgedPair['outcome'] {
  if (first.winner === 'tie' || second.winner === 'tie') return 'equal';
  if (first.winner === 'a' && second.winner === 'b') return 'a';
  if (first.winner === 'b' && second.winner === 'a') return 'b';
  return 'inconsistent';
}

/** A kept pair as a row in the paper's format, winner first. */
export function toRow(j: JudgedPair): PreferenceRow {
  const [w, l] = j.outcome === 'a' ? [j.a, j.b] : [j.b, j.a];
  return { i_chosen: w.instruction, r_chosen: w.response, i_reject: l.instruction, r_reject: l.response };
}
