/**
 * The comparison report of one experiment run for one or several seeds (issue 12, "Interfaces"):
 * what each run's judge budget bought, its training length, and the paired comparison of every two
 * runs over the same held-out items (src/lab/stats). The CLI writes it as report.json and the
 * per-item outcomes as eval.json's items[].outcomes[label]; the lab can show the same object.
 *
 * Comparisons: every pair of finished runs in spec order, b − a, except that a JPO run is always
 * side b against a DPO run, so the headline reads JPO − DPO. The bootstrap seed derives from the
 * spec's seed, so the same results give the same interval.
 */
import type { ExperimentResult, RunResult } from './pipeline/context.ts';
import { deriveSeed } from './pipeline/seeds.ts';
import { compareRuns, type EvalOutcomeItem, type RunComparison } from './stats/paired.ts';
import type { Outcome } from './winrate.ts';

export interface ByKind<T = number> {
  conditional: T;
  joint: T;
}

export interface ReportRun {
  label: string;
  objective: string;
  /** Judge calls this run's pairs cost (two per judged pair); with "shared" pairing, the shared pool's. */
  judgeCalls: number;
  /** Pairs kept, by kind (what the run trained on, edits applied). */
  pairs: ByKind;
  /** Pairs the judge called a tie, by kind (null with "shared" pairing: not counted by kind). */
  ties: ByKind<number | null>;
  /** Pairs dropped because the two orders disagreed. */
  inconsistent: number;
  /** Passes over the run's own pairs, and optimizer steps. */
  epochs: number;
  steps: number;
  /** Ties / judged per kind, and pairs kept per 100 judge calls: the paper's mechanism. */
  tieRate: ByKind<number | null>;
  pairsPer100Calls: number | null;
  /** Win-rate against the baseline, pooled over seeds and items (ties count half). */
  winRate: number | null;
  /** With several seeds, the counts above are means over seeds; these are each seed's. */
  perSeed: {
    seed: number;
    judgeCalls: number;
    pairs: ByKind;
    ties: ByKind<number | null>;
    inconsistent: number;
    steps: number;
    winRate: number | null;
  }[];
}

export interface ReportComparison
  extends Pick<RunComparison, 'a' | 'b' | 'difference' | 'ci95' | 'pValue' | 'nItems' | 'nSeeds'> {
  /** b − a per seed, and whether 0 lies in the interval (the experiment cannot tell the runs apart). */
  perSeed: number[];
  intervalContainsZero: boolean;
  winRates: { a: number; b: number };
}

export interface ExperimentReport {
  seeds: number[];
  runs: ReportRun[];
  comparisons: ReportComparison[];
}

/** eval.json's items: per seed and held-out item, each run's outcome against the baseline. */
export interface OutcomeItem extends EvalOutcomeItem {
  seed: number;
  instruction: string;
  outcomes: Record<string, number>;
}

export const OUTCOME_SCORE: Record<Outcome, number> = { win: 1, tie: 0.5, loss: 0 };

/** Per seed and item, the outcome of every finished run (runs not evaluated are left out). */
export function outcomeItems(results: readonly ExperimentResult[]): OutcomeItem[] {
  const out: OutcomeItem[] = [];
  for (const r of results) {
    const evaluated = r.runs.filter((run) => run.status === 'completed' && run.evalItems.length > 0);
    if (evaluated.length === 0) continue;
    const n = Math.min(...evaluated.map((run) => run.evalItems.length));
    for (let i = 0; i < n; i++) {
      const outcomes: Record<string, number> = {};
      for (const run of evaluated) outcomes[run.label] = OUTCOME_SCORE[run.evalItems[i].outcome];
      out.push({ seed: r.spec.seed, instruction: evaluated[0].evalItems[i].instruction, outcomes });
    }
  }
  return out;
}

/** The report of the same spec run with `results.length` seeds (spec order of runs). */
export function experimentReport(results: readonly ExperimentResult[]): ExperimentReport {
  if (results.length === 0) throw new Error('experimentReport: no results');
  const labels = results[0].spec.runs.map((r) => r.label);
  const runs = labels.map((label) => reportRun(label, results));
  const items = outcomeItems(results);
  const perSeed = results.map((r) => items.filter((x) => x.seed === r.spec.seed));
  const evaluated = labels.filter((l) => perSeed.every((s) => s.length > 0 && l in s[0].outcomes));
  const comparisons: ReportComparison[] = [];
  for (let i = 0; i < evaluated.length; i++) {
    for (let j = i + 1; j < evaluated.length; j++) {
      let [a, b] = [evaluated[i], evaluated[j]];
      const objective = (l: string) => runs.find((r) => r.label === l)?.objective;
      if (objective(a) === 'jpo' && objective(b) === 'dpo') [a, b] = [b, a];
      const c = compareRuns(a, b, perSeed, { seed: deriveSeed(results[0].spec.seed, `report-bootstrap-${a}-${b}`) });
      comparisons.push({
        a: c.a,
        b: c.b,
        difference: c.difference,
        ci95: c.ci95,
        pValue: c.pValue,
        nItems: c.nItems,
        nSeeds: c.nSeeds,
        perSeed: c.perSeed,
        intervalContainsZero: c.intervalContainsZero,
        winRates: c.winRates,
      });
    }
  }
  // JPO − DPO first, when both exist.
  const headline = (c: ReportComparison) =>
    runs.find((r) => r.label === c.b)?.objective === 'jpo' && runs.find((r) => r.label === c.a)?.objective === 'dpo'
      ? 0
      : 1;
  comparisons.sort((x, y) => headline(x) - headline(y));
  return { seeds: results.map((r) => r.spec.seed), runs, comparisons };
}

function reportRun(label: string, results: readonly ExperimentResult[]): ReportRun {
  const perSeed = results.map((r) => {
    const run = r.runs.find((x) => x.label === label);
    return { seed: r.spec.seed, ...seedCounts(run, r) };
  });
  const objective = results[0].spec.runs.find((r) => r.label === label)?.objective ?? '';
  const mean = (f: (s: (typeof perSeed)[number]) => number | null): number | null => {
    const xs = perSeed.map(f);
    return xs.some((x) => x === null) ? null : (xs as number[]).reduce((s, x) => s + x, 0) / xs.length;
  };
  const m = (f: (s: (typeof perSeed)[number]) => number) => mean(f) as number;
  const judged = results.map((r) => r.runs.find((x) => x.label === label)?.pairing ?? null);
  const sumJudged = (k: 'conditional' | 'joint') => judged.reduce((s, c) => s + (c?.judged[k] ?? 0), 0);
  const sumTies = (k: 'conditional' | 'joint') => judged.reduce((s, c) => s + (c?.ties[k] ?? 0), 0);
  const perRun = judged.every((c) => c !== null);
  const tieRate = (k: 'conditional' | 'joint') => (perRun && sumJudged(k) > 0 ? sumTies(k) / sumJudged(k) : null);
  const calls = m((s) => s.judgeCalls);
  const kept = m((s) => s.pairs.conditional + s.pairs.joint);
  return {
    label,
    objective,
    judgeCalls: calls,
    pairs: { conditional: m((s) => s.pairs.conditional), joint: m((s) => s.pairs.joint) },
    ties: { conditional: mean((s) => s.ties.conditional), joint: mean((s) => s.ties.joint) },
    inconsistent: m((s) => s.inconsistent),
    epochs: m((s) => s.epochs),
    steps: m((s) => s.steps),
    tieRate: { conditional: tieRate('conditional'), joint: tieRate('joint') },
    pairsPer100Calls: calls > 0 ? (100 * kept) / calls : null,
    winRate: mean((s) => s.winRate),
    perSeed: perSeed.map(({ epochs: _e, ...rest }) => rest),
  };
}

function seedCounts(run: RunResult | undefined, r: ExperimentResult) {
  const c = run?.pairing ?? null;
  const winRate = run?.eval ? run.eval.winRate.rate : null;
  if (c) {
    return {
      judgeCalls: c.judgeCalls,
      pairs: kindsOf(run),
      ties: { ...c.ties },
      inconsistent: c.inconsistent,
      epochs: run?.epochs ?? 0,
      steps: run?.steps ?? 0,
      winRate,
    };
  }
  // "shared" pairing: the pool's judge calls; ties are not counted by kind there.
  const shared = r.data?.counts ?? null;
  return {
    judgeCalls: shared?.comparisonsAsked ?? 0,
    pairs: kindsOf(run),
    ties: { conditional: null, joint: null },
    inconsistent: shared?.tiesInconsistent ?? 0,
    epochs: run?.epochs ?? 0,
    steps: run?.steps ?? 0,
    winRate,
  };
}

/** The run's training pairs by kind (edits applied): what it trained on. */
function kindsOf(run: RunResult | undefined): ByKind {
  return { conditional: run?.pairKinds.conditional ?? 0, joint: run?.pairKinds.joint ?? 0 };
}
