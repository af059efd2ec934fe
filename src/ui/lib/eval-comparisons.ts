/**
 * The paired difference between runs, from their per-item evaluation outcomes, as the pipeline's
 * report computes it (src/lab/report.ts): compareRuns over the shared held-out items, the bootstrap
 * seeded from the spec, JPO − DPO first.
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
  const labels = spec.runs.map((r) => r.label).filter((l) => (items[l]?.length ?? 0) > 0);
  const objective = (l: string) => spec.runs.find((r) => r.label === l)?.objective;
  const out: RunComparison[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      let [a, b] = [labels[i], labels[j]];
      if (objective(a) === 'jpo' && objective(b) === 'dpo') [a, b] = [b, a];
      const n = items[a].length;
      if (items[b].length !== n || items[b].some((x, k) => x.instruction !== items[a][k].instruction)) continue;
      const perItem = items[a].map((x, k) => ({
        outcomes: { [a]: VALUE[x.outcome], [b]: VALUE[items[b][k].outcome] },
      }));
      out.push(compareRuns(a, b, [perItem], { seed: deriveSeed(spec.seed, `report-bootstrap-${a}-${b}`) }));
    }
  }
  const headline = (c: RunComparison) => (objective(c.b) === 'jpo' && objective(c.a) === 'dpo' ? 0 : 1);
  return out.sort((x, y) => headline(x) - headline(y));
}
