/**
 * "Repeat over N seeds" (issue 12, item 4): the same experiment run for seeds s, s+1, …, s+N−1,
 * one after another through the ordinary start/finish flow of the training worker (each seed is a
 * normal run: shown live, saved in the runs table). Each finished seed's per-item evaluation
 * outcomes are kept here, so the Evaluate section can show the per-seed differences and the pooled
 * one (src/ui/lib/eval-comparisons.ts).
 */
import { create } from 'zustand';
import type { EvalItemOutcome } from '../lab/events.ts';
import type { ExperimentSpec } from '../lab/spec.ts';
import { startRun } from './orchard-worker.ts';
import { isLiveStatus, type RunSession, useRunStore } from './run-store.ts';

export interface SeedOutcome {
  seed: number;
  /** Every held-out item per run label, as the seed's eval events carried them. */
  items: Record<string, EvalItemOutcome[]>;
}

export type RepeatStatus = 'idle' | 'running' | 'done' | 'stopped';

export interface SeedRepeatState {
  status: RepeatStatus;
  /** The experiment repeated (its first seed is spec.seed). */
  spec: ExperimentSpec | null;
  nSeeds: number;
  finished: SeedOutcome[];
  /** Why a repeat stopped early (a seed failed or was stopped, another run replaced it). */
  message: string | null;
}

export const MAX_REPEAT_SEEDS = 10;

export const useSeedRepeatStore = create<SeedRepeatState>()(() => ({
  status: 'idle',
  spec: null,
  nSeeds: 0,
  finished: [],
  message: null,
}));

/** Resolves with the session of run `runId` once it has ended, or null when another session replaced it. */
function whenEnded(runId: string): Promise<RunSession | null> {
  return new Promise((resolve) => {
    const check = (session: RunSession | null): boolean => {
      if (session?.id === runId && isLiveStatus(session.status)) return false;
      resolve(session?.id === runId ? session : null);
      return true;
    };
    if (check(useRunStore.getState().session)) return;
    const unsubscribe = useRunStore.subscribe((s) => {
      if (check(s.session)) unsubscribe();
    });
  });
}

/**
 * Runs `spec` for seeds spec.seed … spec.seed + n − 1, one at a time. Stops at the first seed that
 * does not finish (failed, stopped, or replaced by another run) and says so.
 */
export async function repeatOverSeeds(spec: ExperimentSpec, n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 2 || n > MAX_REPEAT_SEEDS) {
    throw new Error(`repeat over seeds: N must be a whole number from 2 to ${MAX_REPEAT_SEEDS} (got ${n})`);
  }
  const set = useSeedRepeatStore.setState;
  set({ status: 'running', spec, nSeeds: n, finished: [], message: null });
  for (let k = 0; k < n; k++) {
    const seed = spec.seed + k;
    const runId = startRun({ ...spec, seed });
    const session = await whenEnded(runId);
    if (session?.status !== 'done') {
      const why = session ? `ended "${session.status}"` : 'was replaced by another run';
      set({ status: 'stopped', message: `Seed ${seed} ${why}: the repeat stopped after ${k} of ${n} seeds.` });
      return;
    }
    set((s) => ({ finished: [...s.finished, { seed, items: session.evalItems }] }));
  }
  set({ status: 'done' });
}
