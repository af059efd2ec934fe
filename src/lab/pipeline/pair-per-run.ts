/**
 * The judge and pair stages of the "per-run" protocol (budget-matched arms, issue 12): every run
 * asks the judge the same number of questions about the same sampled candidates; a run on
 * conditional pairs spends its budget on conditional comparisons only, a run on conditional + joint
 * pairs on the mix `data.pairing.jointShare` (src/data/run-pairing.ts). Ties and inconsistent
 * verdicts are dropped per run, and the spec's edits apply to each run's labelled list.
 *
 * Runs with the same joint share ask exactly the same questions (same seed, same pool), so they are
 * judged once and share their pairs: DPO and cDPO in the "noisy labels" lesson train on
 * identical data. Each run still reports the judge calls of its own budget.
 */
import { bradleyTerryAnnotator } from '../../data/judges/annotator.ts';
import type { Judge } from '../../data/judges/types.ts';
import { pairForRun, pairingMechanism, planRunPairs, type RunPairingCounts } from '../../data/run-pairing.ts';
import type { Candidate } from '../../data/types.ts';
import type { PairingEvent, PipelineListener } from '../events.ts';
import type { DataPlan, RunPlan } from '../plan.ts';
import type { PreparedData, RunPairingData, RunPool } from './data-types.ts';
import { abortable, applyEdits, finishData, HUMAN_JUDGE_CONCURRENCY } from './prepare-data.ts';
import { deriveSeed } from './seeds.ts';
import { pairingKey, selectPairs } from './train.ts';

export type { RunPairingData } from './data-types.ts';

export { pairingKey };

/** The spec's simulated annotator; its own stream per purpose, so evaluation asking more never moves pairing verdicts. */
export function taskAnnotator(data: DataPlan, purpose: 'pairing' | 'eval'): Judge {
  return bradleyTerryAnnotator({
    ...data.pairing.annotator,
    seed: deriveSeed(data.pairing.seed, `annotator-${purpose}`),
  });
}

/**
 * The labelled data of the "per-run" protocol from sampled candidates: every run's pairing (each
 * distinct joint share judged once); `rows` keeps only comparisons given as data.
 */
export async function perRunData(
  o: Omit<PairPerRunOptions, 'done'> & { given: PreparedData['rows']; done?: PairPerRunOptions['done'] },
): Promise<PreparedData> {
  return { ...finishData(o.given, null), candidates: o.candidates, perRun: await pairPerRun(o) };
}

export interface PairPerRunOptions {
  data: DataPlan;
  candidates: Candidate[];
  runs: readonly RunPlan[];
  judge: () => Promise<Judge>;
  emit: PipelineListener;
  signal?: AbortSignal;
  /** Pairings already made (from a checkpoint), by pairingKey; only the missing ones are judged. */
  done?: Readonly<Record<string, RunPairingData>>;
}

/** Judges every distinct joint share once; returns the pairings by pairingKey. */
export async function pairPerRun(o: PairPerRunOptions): Promise<Record<string, RunPairingData>> {
  const out: Record<string, RunPairingData> = { ...(o.done ?? {}) };
  const budget = o.data.pairing.budget;
  if (budget === null) throw new Error('data.pairing.budget must be a number with the "per-run" protocol');
  let judge: Judge | null = null;
  for (const run of o.runs) {
    const key = pairingKey(run);
    if (out[key]) continue;
    judge ??= await o.judge();
    const asked = o.signal ? abortable(judge, o.signal) : judge;
    const options = { judgeCalls: 2 * budget, jointShare: run.jointShare, seed: o.data.pairing.seed };
    const progress = (done: number, total: number, message: string) =>
      o.emit({ kind: 'progress', stage: 'judge', run: run.label, done, total, message });
    // Tell the page how many pairs are coming before the first (possibly slow, human) verdict.
    const planned = planRunPairs(o.candidates, options).pairs.length;
    progress(0, planned, `${run.label}: judging ${planned} pairs (both orders)`);
    const result = await pairForRun(o.candidates, asked, {
      ...options,
      concurrency: o.data.pairing.judge === 'human' ? HUMAN_JUDGE_CONCURRENCY : 1,
      onProgress: ({ judged, planned }) => {
        if (!o.signal?.aborted)
          progress(judged, planned, `${run.label}: judged ${judged}/${planned} pairs (both orders)`);
      },
    });
    const rows = applyEdits(result.rows, o.data.source.edits);
    const { kinds } = finishData(rows, null);
    out[key] = { rows, kinds, counts: { ...result.counts, verdictBasis: judge.basis ?? 'pairwise' } };
  }
  for (const run of o.runs) {
    const p = out[pairingKey(run)];
    o.emit(pairingEvent(run.label, p.counts));
    const nCond = p.kinds.filter((k) => k === 'conditional').length;
    o.emit({
      kind: 'progress',
      stage: 'pair',
      run: run.label,
      done: p.rows.length,
      total: p.rows.length,
      message: `${run.label}: ${p.rows.length} labelled pairs (${nCond} conditional, ${p.rows.length - nCond} joint) from ${p.counts.judgeCalls} judge calls; ${p.counts.ties.conditional + p.counts.ties.joint} ties and ${p.counts.inconsistent} inconsistent verdicts dropped`,
    });
  }
  return out;
}

/** The pairing event of one run (what the report and the UI show). */
export function pairingEvent(run: string, c: RunPairingCounts): PairingEvent {
  const m = pairingMechanism(c);
  return {
    kind: 'pairing',
    run,
    judgeCalls: c.judgeCalls,
    budgetCalls: c.budget,
    judged: { ...c.judged },
    pairs: { ...c.pairs },
    ties: { ...c.ties },
    inconsistent: c.inconsistent,
    tieRate: m.tieRate,
    pairsPer100Calls: m.pairsPer100Calls,
    verdictBasis: c.verdictBasis,
  };
}

/** Every run's pool from its own pairing: the pairs its `pairs` selects. */
export function perRunPools(pairings: Readonly<Record<string, RunPairingData>>, runs: readonly RunPlan[]) {
  const out = new Map<string, RunPool>();
  for (const run of runs) {
    const key = pairingKey(run);
    const p = pairings[key];
    const poolIndex = selectPairs(p, run.pairs);
    if (poolIndex.length === 0) {
      throw new Error(
        `run "${run.label}" kept no ${run.pairs} pairs from its judge budget (every judged pair was a tie or inconsistent?); raise data.pairing.budget or data.nInstructions`,
      );
    }
    out.set(run.label, { key: `run|${key}`, rows: p.rows, poolIndex, poolSize: p.rows.length });
  }
  return out;
}
