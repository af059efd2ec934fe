/**
 * The paired difference between runs, from their per-item evaluation outcomes, as the pipeline's
 * report computes it (src/lab/report.ts): compareRuns over the shared held-out items, the bootstrap
 * seeded from the spec, JPO − DPO first; for one run or pooled over several seeds of one spec.
 */
import type { EvalItemOutcome } from '../../lab/events.ts';
import { deriveSeed } from '../../lab/pipeline/seeds.ts';
import type { ExperimentSpec } from '../../lab/spec.ts';
import { compareRuns, type RunComparison } from '../../lab/stats/paired.ts';

const VALUE = { win: 1, tie: 0.5, loss: 0 } as const;

/** Every pair of evaluated runs (spec order; a JPO run is b against a DPO run), headline first. */
export function runComparisons(
  spec: ExperimentSpec,
  items: Readonly<Record<string, EvalItemOutcome[]>>,
): RunComparison[] {
  return runComparisonsOverSeeds(spec, [items]);
}

/**
 * The same comparisons pooled over several seeds of one spec (`perSeed[s]`: seed s's items by run
 * label), the bootstrap resampling seeds and items (the lab's "repeat over N seeds"). A pair of runs
 * is compared only when every seed judged both on the same items in the same order.
 */
export function runComparisonsOverSeeds(
  spec: ExperimentSpec,
  perSeed: readonly Readonly<Record<string, EvalItemOutcome[]>>[],
): RunComparison[] {
  if (perSeed.length === 0) return [];
  const judged = (l: string) => perSeed.every((items) => (items[l]?.length ?? 0) > 0);
  const labels = spec.runs.map((r) => r.label).filter(judged);
  const objective = (l: string) => spec.runs.find((r) => r.label === l)?.objective;
  const sameItems = (x: EvalItemOutcome[], y: EvalItemOutcome[]) =>
    x.length === y.length && x.every((item, k) => item.instruction === y[k].instruction);
  const out: RunComparison[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      let [a, b] = [labels[i], labels[j]];
      if (objective(a) === 'jpo' && objective(b) === 'dpo') [a, b] = [b, a];
      if (!perSeed.every((items) => sameItems(items[a], items[b]))) continue;
      if (!perSeed.every((items) => items[a].length === perSeed[0][a].length)) continue;
      const table = perSeed.map((items) =>
        items[a].map((x, k) => ({ outcomes: { [a]: VALUE[x.outcome], [b]: VALUE[items[b][k].outcome] } })),
      );
      out.push(compareRuns(a, b, table, { seed: deriveSeed(spec.seed, `report-bootstrap-${a}-${b}`) }));
    }
  }
  const headline = (c: RunComparison) => (objective(c.b) === 'jpo' && objective(c.a) === 'dpo' ? 0 : 1);
  return out.sort((x, y) => headline(x) - headline(y));
}

/** The data attributes and class every view of a comparison carries (tests and styles read them). */
export function comparisonAttrs(c: RunComparison) {
  return {
    'data-difference': c.difference,
    'data-ci-low': c.ci95[0],
    'data-ci-high': c.ci95[1],
    'data-contains-zero': c.intervalContainsZero,
    className: c.intervalContainsZero ? 'difference-unclear' : 'difference-clear',
  };
}
