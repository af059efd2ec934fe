/**
 * The judge and pair stages: candidates planned into pairs with the paper's protocol
 * (src/data/pairing.ts), each pair judged in both orders (ties and inconsistent verdicts dropped),
 * then the given comparisons and the judged ones become the labelled pool, with the spec's edits
 * applied. With the "shared" protocol (version 1) the pool is what every run trains on (each run
 * keeps the pairs its `pairs` selects: `sharedPools`). The "per-run" protocol, the version-2 default,
 * gives each run a pool of its own instead (./pair-per-run.ts); the stages after this one only see
 * `RunPool`s.
 */
import type { Judge } from '../../data/judges/types.ts';
import type { Candidate, PreferenceRow } from '../../data/types.ts';
import type { PipelineListener } from '../events.ts';
import type { DataPlan, RunPlan } from '../plan.ts';
import type { PreparedData, RunPool } from './data-types.ts';
import { applyEdits, finishData, HUMAN_JUDGE_CONCURRENCY, pairCandidates } from './prepare-data.ts';
import { selectPairs } from './train.ts';

export interface JudgeAndPairOptions {
  data: DataPlan;
  candidates: Candidate[];
  given: PreferenceRow[];
  /** Made only when there is something to judge (a reward model loads slowly). */
  judge: () => Promise<Judge>;
  emit: PipelineListener;
  signal?: AbortSignal;
}

export async function judgeAndPairStage(o: JudgeAndPairOptions): Promise<PreparedData> {
  const { emit } = o;
  const pairing = o.data.pairing;
  let counts: PreparedData['counts'] = null;
  let judgedRows: PreferenceRow[] = [];
  if (o.candidates.length > 0) {
    const judge = await o.judge();
    const result = await pairCandidates(o.candidates, {
      mode: pairing.mode,
      budget: pairing.budget,
      seed: pairing.seed,
      judge,
      // A person sees a few pairs at once; machine judges stay sequential (same calls, same order).
      concurrency: pairing.judge === 'human' ? HUMAN_JUDGE_CONCURRENCY : 1,
      signal: o.signal,
      onProgress: (done, total) =>
        emit({ kind: 'progress', stage: 'judge', done, total, message: `judged ${done}/${total} pairs (both orders)` }),
    });
    counts = result.counts;
    judgedRows = result.pairs;
  }
  const rows = applyEdits([...o.given, ...judgedRows], o.data.source.edits);
  const data = finishData(rows, counts);
  const nCond = data.kinds.filter((k) => k === 'conditional').length;
  const tieNote = counts ? `, ${counts.ties} ties dropped` : '';
  emit({
    kind: 'progress',
    stage: 'pair',
    done: rows.length,
    total: rows.length,
    message: `${rows.length} labelled pairs: ${nCond} conditional, ${rows.length - nCond} joint${tieNote}`,
  });
  if (rows.length === 0) {
    throw new Error(
      'no labelled pairs to train on (every judged pair was a tie?); raise data.pairing.budget or data.nInstructions',
    );
  }
  return data;
}

export type { RunPool } from './data-types.ts';

/** Every run's pool from the one shared labelled pool: the pairs its `pairs` selects. */
export function sharedPools(data: PreparedData, runs: readonly RunPlan[]): Map<string, RunPool> {
  const out = new Map<string, RunPool>();
  for (const run of runs) {
    const poolIndex = selectPairs(data, run.pairs);
    if (poolIndex.length === 0) {
      throw new Error(
        `run "${run.label}" trains on ${run.pairs} pairs, but the labelled data has none; change runs[${run.index}].pairs or data.pairing.mode`,
      );
    }
    out.set(run.label, { key: `shared|${run.pairs}`, rows: data.rows, poolIndex, poolSize: data.rows.length });
  }
  return out;
}
