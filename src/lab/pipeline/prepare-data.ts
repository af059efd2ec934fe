/**
 * The data stages: sample responses for the training instructions from the current model, judge
 * them (both orders; ties dropped) and pair them with the paper's protocol (src/data/pairing.ts),
 * or take comparisons as given; then apply the spec's edits.
 *
 * Budget: spec.data.pairing.budget counts judged PAIRS (the spec's unit); pairing.ts counts judge
 * calls, two per pair, so it gets twice the number.
 */
import type { Judge } from '../../data/judges/types.ts';
import { judgePairs, type PairingCounts, planPairs } from '../../data/pairing.ts';
import type { Candidate, PreferenceRow } from '../../data/types.ts';
import { isConditional } from '../../data/types.ts';
import type { DataSpec, PairSet } from '../spec.ts';
import type { PreparedData } from './data-types.ts';
import { CancelledError, throwIfAborted } from './generation.ts';

export type { PreparedData } from './data-types.ts';

/** Pairs in a human judge's queue at once: a few to look at, not the whole budget. */
export const HUMAN_JUDGE_CONCURRENCY = 4;

export interface PairCandidatesOptions {
  mode: PairSet;
  budget: number | null;
  seed: number;
  judge: Judge;
  /** Pairs judged at the same time (default 1). The result keeps plan order whatever the value. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (judged: number, planned: number) => void;
}

/** Plans, judges (both orders) and keeps consistent winners: conditional pairs first, then joint. */
export async function pairCandidates(candidates: Candidate[], o: PairCandidatesOptions) {
  const plan = planPairs(candidates, {
    mode: o.mode,
    seed: o.seed,
    budget: o.budget === null ? undefined : 2 * o.budget,
  });
  // Tell the page how many pairs are coming before the first (possibly slow, human) verdict.
  o.onProgress?.(0, plan.pairs.length);
  return judgePairs(plan, o.signal ? abortable(o.judge, o.signal) : o.judge, {
    concurrency: o.concurrency ?? 1,
    onProgress: (p) => {
      throwIfAborted(o.signal);
      o.onProgress?.(p.judged, p.planned);
    },
  });
}

/**
 * The judge, with every compare() that is still waiting rejected when `signal` aborts: a judge that
 * waits for a person would otherwise hold a cancelled run forever.
 */
export function abortable(judge: Judge, signal: AbortSignal): Judge {
  const compare: Judge['compare'] = (a, b) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new CancelledError());
      const onAbort = () => reject(new CancelledError());
      signal.addEventListener('abort', onAbort, { once: true });
      judge.compare(a, b).then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  const score = judge.score?.bind(judge);
  // Keep the basis: a score-comparison judge must still be reported as one after wrapping.
  const base = { name: judge.name, compare, basis: judge.basis };
  return score ? { ...base, score } : base;
}

/** Given rows filtered to the pairing mode: conditional rows need i_chosen === i_reject. */
export function keepMode(rows: readonly PreferenceRow[], mode: PairSet): PreferenceRow[] {
  if (mode === 'both') return [...rows];
  return rows.filter((r) => isConditional(r) === (mode === 'conditional'));
}

/** spec.data.edits: remove by index (into the labelled list), then append `add`. */
export function applyEdits(rows: readonly PreferenceRow[], edits: DataSpec['edits']): PreferenceRow[] {
  for (const i of edits.remove) {
    if (i >= rows.length) {
      throw new Error(
        `data.edits.remove: index ${i} is out of range; the labelled pair list has ${rows.length} pairs (0..${rows.length - 1})`,
      );
    }
  }
  const removed = new Set(edits.remove);
  return [...rows.filter((_, i) => !removed.has(i)), ...edits.add.map((r) => ({ ...r }))];
}

export function finishData(rows: PreferenceRow[], counts: PairingCounts | null): PreparedData {
  return { rows, kinds: rows.map((r) => (isConditional(r) ? 'conditional' : 'joint')), counts };
}
