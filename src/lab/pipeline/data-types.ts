/**
 * The types the data stages hand to each other (sampled and judged data, each run's pairing and its
 * pool), in one module of their own so the stages can import them without importing each other.
 */
import type { PairingCounts, PairKind } from '../../data/pairing.ts';
import type { RunPairingCounts } from '../../data/run-pairing.ts';
import type { Candidate, PreferenceRow } from '../../data/types.ts';

export interface PreparedData {
  /** The labelled comparisons, edits applied: the training pool of every run. */
  rows: PreferenceRow[];
  kinds: PairKind[];
  /** Pairing statistics when the pipeline built pairs itself. */
  counts: PairingCounts | null;
  /**
   * The "per-run" protocol: each distinct run pairing by pairing-key (./pair-per-run.ts). `rows`
   * then holds only the comparisons given as data (none for task data).
   */
  perRun?: Record<string, RunPairingData>;
  /** The "per-run" protocol: the sampled candidates every run's judge budget is spent on. */
  candidates?: Candidate[];
}

/** One run's labelled pairs under the per-run protocol (edits applied), and its judge counts. */
export interface RunPairingData extends Omit<PreparedData, 'counts' | 'perRun'> {
  counts: RunPairingCounts;
}

/** The labelled pairs one run trains on: positions `poolIndex` of `rows`. */
export interface RunPool {
  /** Runs whose pools share this key share their encoded rows and reference log-probs. */
  key: string;
  rows: readonly PreferenceRow[];
  poolIndex: number[];
  /** Rows in the pool the data order shuffles (train.ts: the fairness rule). */
  poolSize: number;
}
