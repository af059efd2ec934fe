/**
 * Per-run pairing with a judge budget (issue 12, item 1): a run's data is what it may ask the judge.
 * Every run gets the same candidate pool (the same sampled answers) and the same number of judge
 * calls; DPO spends them on conditional comparisons only, JPO on the paper's mix (half conditional,
 * half joint; `jointShare` configurable). Each pair costs two calls, asked in both orders; ties and
 * inconsistent verdicts are dropped per run (pairing.ts's rule).
 *
 * Planning, deterministic for (pool, seed) and independent of the mix: one seeded order of all
 * conditional pairs and one of joint pairs, each from its own stream. A run takes a prefix of each,
 * so at the same seed JPO's conditional questions are the first ones DPO asks too (common random
 * numbers: the arms differ by the mix, not by luck of the draw). With a seeded annotator or a person
 * (who is asked a question once), the shared questions get the same verdicts in every run.
 *
 * A kind with fewer pairs than its share of the budget is exhausted and the rest of the budget stays
 * unspent (counts.judgeCalls < counts.budget): the pool is too small for a budget-matched comparison,
 * and callers should say so rather than silently change the mix.
 *
 * The existing shared-pairs protocol (pairing.ts buildPairs) is unchanged; this is a second entry.
 */
import { Rng } from '../engine/random.ts';
import type { Judge, JudgeBasis } from './judges/types.ts';
import {
  allJointPairs,
  conditionalPairs,
  dedupeCandidates,
  drawJointPairs,
  groupByInstruction,
  interleave,
  type JudgedPair,
  judgeBothOrders,
  type PairKind,
  type PlannedPair,
  toRow,
} from './pairing.ts';
import type { Candidate, PreferenceRow } from './types.ts';

/** Share of the judge calls spent on joint comparisons: DPO 0, JPO 0.5 (the paper's mix). */
export const JOINT_SHARE = { dpo: 0, jpo: 0.5 } as const;

export interface RunPairingOptions {
  /** Judge calls this run may make (two per judged pair, one per order). */
  judgeCalls: number;
  /** Fraction of the pairs that are joint, in [0, 1]; the rest are conditional. */
  jointShare: number;
  /** Seed of the pair orders; give every run of an experiment the same one. */
  seed: number;
  /** Pairs judged at the same time (default 1; a person's queue can take several). */
  concurrency?: number;
  onProgress?: (p: { judged: number; planned: number }) => void;
}

export interface ByKind {
  conditional: number;
  joint: number;
}

export interface RunPairingCounts {
  /** The run's judge budget, and the calls actually made (less when the pool ran out). */
  budget: number;
  judgeCalls: number;
  /** Pairs in the pool after removing exact repeats. */
  available: ByKind;
  /** Pairs asked about (two calls each). */
  judged: ByKind;
  /** Pairs kept: a consistent winner in both orders. */
  pairs: ByKind;
  /** Pairs dropped because a verdict was "tie". */
  ties: ByKind;
  /** Pairs dropped because the two orders named different winners, in all and by kind. */
  inconsistent: number;
  inconsistentByKind: ByKind;
  /** 'score-comparison': the judge compared two separate scores, so joint "preferences" are score comparisons. */
  verdictBasis: JudgeBasis;
}

export interface RunPairing {
  /** Kept pairs in the paper's format: conditional ones first, then joint ones. */
  rows: PreferenceRow[];
  kinds: PairKind[];
  judged: JudgedPair[];
  counts: RunPairingCounts;
}

export interface RunPlan {
  pairs: PlannedPair[];
  available: ByKind;
  budget: number;
}

/** Above this many cross-instruction pairs, joint pairs are drawn by rejection instead of enumerated. */
const DENSE_JOINT_LIMIT = 200_000;

/** Which pairs the run asks about, in asking order (conditional and joint interleaved). */
export function planRunPairs(
  pool: readonly Candidate[],
  opts: Omit<RunPairingOptions, 'concurrency' | 'onProgress'>,
): RunPlan {
  checkOptions(pool, opts);
  const unique = dedupeCandidates(pool);
  const groups = groupByInstruction(unique);
  let conditionalAvailable = 0;
  for (const g of groups.values()) conditionalAvailable += (g.length * (g.length - 1)) / 2;
  const n = unique.length;
  const jointAvailable = (n * (n - 1)) / 2 - conditionalAvailable;

  const nPairs = Math.floor(opts.judgeCalls / 2);
  const wantJoint = Math.round(nPairs * opts.jointShare);
  const nJoint = Math.min(wantJoint, jointAvailable);
  const nConditional = Math.min(nPairs - wantJoint, conditionalAvailable);

  // Two independent streams from one seed: the orders do not depend on the mix.
  const root = new Rng(opts.seed);
  const conditionalRng = root.fork();
  const jointRng = root.fork();
  const conditional = nConditional > 0 ? conditionalOrder(unique, groups, conditionalRng).slice(0, nConditional) : [];
  const joint = nJoint > 0 ? jointOrder(unique, jointAvailable, nJoint, jointRng) : [];
  const pairs = interleave(conditional, joint);
  return { pairs, available: { conditional: conditionalAvailable, joint: jointAvailable }, budget: opts.judgeCalls };
}

/** Plans the run, asks the judge about each pair in both orders, keeps consistent winners. */
export async function pairForRun(
  pool: readonly Candidate[],
  judge: Judge,
  opts: RunPairingOptions,
): Promise<RunPairing> {
  const plan = planRunPairs(pool, opts);
  const judged = await judgeBothOrders(plan.pairs, judge, opts);

  const count = (kind: PairKind, keep: (j: JudgedPair) => boolean) =>
    judged.filter((j) => j.kind === kind && keep(j)).length;
  const byKind = (keep: (j: JudgedPair) => boolean): ByKind => ({
    conditional: count('conditional', keep),
    joint: count('joint', keep),
  });
  const isKept = (j: JudgedPair) => j.outcome === 'a' || j.outcome === 'b';
  const kept = [
    ...judged.filter((j) => j.kind === 'conditional' && isKept(j)),
    ...judged.filter((j) => j.kind === 'joint' && isKept(j)),
  ];
  const inconsistentByKind = byKind((j) => j.outcome === 'inconsistent');
  return {
    rows: kept.map(toRow),
    kinds: kept.map((j) => j.kind),
    judged,
    counts: {
      budget: plan.budget,
      judgeCalls: 2 * judged.length,
      available: plan.available,
      judged: byKind(() => true),
      pairs: byKind(isKept),
      ties: byKind((j) => j.outcome === 'equal'),
      inconsistent: inconsistentByKind.conditional + inconsistentByKind.joint,
      inconsistentByKind,
      verdictBasis: judge.basis ?? 'pairwise',
    },
  };
}

/** The mechanism the paper argues from (issue 12, item 3), read off one run's counts. */
export interface PairingMechanism {
  /** Share of judged pairs of each kind the judge called a tie (null when none of that kind was judged). */
  tieRate: { conditional: number | null; joint: number | null };
  /** Share of judged pairs of each kind dropped (ties and inconsistent verdicts). */
  dropRate: { conditional: number | null; joint: number | null };
  /** Pairs kept per 100 judge calls. */
  pairsPer100Calls: number;
}

export function pairingMechanism(c: RunPairingCounts): PairingMechanism {
  const rate = (x: number, n: number) => (n === 0 ? null : x / n);
  const kept = c.pairs.conditional + c.pairs.joint;
  return {
    tieRate: { conditional: rate(c.ties.conditional, c.judged.conditional), joint: rate(c.ties.joint, c.judged.joint) },
    dropRate: {
      conditional: rate(c.judged.conditional - c.pairs.conditional, c.judged.conditional),
      joint: rate(c.judged.joint - c.pairs.joint, c.judged.joint),
    },
    pairsPer100Calls: c.judgeCalls === 0 ? 0 : (100 * kept) / c.judgeCalls,
  };
}

function checkOptions(pool: readonly Candidate[], o: Omit<RunPairingOptions, 'concurrency' | 'onProgress'>): void {
  if (!(Number.isInteger(o.judgeCalls) && o.judgeCalls >= 0)) {
    throw new Error(`judge budget must be a whole number of judge calls >= 0 (two per pair), got ${o.judgeCalls}`);
  }
  if (!(o.jointShare >= 0 && o.jointShare <= 1)) {
    throw new Error(`jointShare must be in [0, 1] (DPO 0, JPO 0.5), got ${o.jointShare}`);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`pairing seed must be an integer, got ${o.seed}`);
  for (const [k, c] of pool.entries()) {
    if (typeof c?.instruction !== 'string' || typeof c?.response !== 'string') {
      throw new Error(`candidate pool item ${k} needs string fields instruction and response`);
    }
  }
}

function conditionalOrder(items: Candidate[], groups: Map<string, number[]>, rng: Rng): PlannedPair[] {
  return rng.shuffle(conditionalPairs(items, groups));
}

/** The first `target` joint pairs of the seeded order; the method depends on the pool only, not on target. */
function jointOrder(items: Candidate[], available: number, target: number, rng: Rng): PlannedPair[] {
  return available <= DENSE_JOINT_LIMIT
    ? rng.shuffle(allJointPairs(items)).slice(0, target)
    : drawJointPairs(items, target, rng);
}
