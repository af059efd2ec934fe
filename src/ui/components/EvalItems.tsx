/**
 * Every held-out item of the evaluation, per run, filtered by wins, ties or losses against the
 * baseline; above it, the paired difference between the runs with its 95% interval, said plainly
 * when the interval contains 0.
 */
import { useMemo, useState } from 'react';
import { describeComparison } from '../../lab/stats/paired.ts';
import { useRunStore } from '../../state/run-store.ts';
import { comparisonAttrs, runComparisons } from '../lib/eval-comparisons.ts';

const FILTERS = ['all', 'win', 'tie', 'loss'] as const;
type Filter = (typeof FILTERS)[number];
const FILTER_NAMES: Record<Filter, string> = { all: 'all', win: 'wins', tie: 'ties', loss: 'losses' };
/** Rows drawn at first; the rest on request, so 10,000 items do not slow the page. */
const PAGE = 100;

export function RunDifference() {
  const session = useRunStore((s) => s.session);
  const spec = session?.spec;
  const items = session?.evalItems;
  const comparisons = useMemo(() => (spec && items ? runComparisons(spec, items) : []), [spec, items]);
  if (comparisons.length === 0) return null;
  return (
    <ul className="run-differences" data-testid="run-differences">
      {comparisons.map((c) => (
        <li key={`${c.a}-${c.b}`} data-a={c.a} data-b={c.b} {...comparisonAttrs(c)}>
          {describeComparison(c)}
        </li>
      ))}
    </ul>
  );
}

export function EvalItemsTable() {
  const session = useRunStore((s) => s.session);
  const labels = session ? session.spec.runs.map((r) => r.label).filter((l) => session.evalItems[l]?.length) : [];
  const [picked, setRun] = useState<string | null>(null);
  const [filter, setFilter] = useState<Filter>('all');
  const [shown, setShown] = useState(PAGE);
  if (!session || labels.length === 0) {
    return <p className="muted">Every held-out item appears here once a run has been evaluated.</p>;
  }
  const run = picked && labels.includes(picked) ? picked : labels[0];
  const all = session.evalItems[run];
  const rows = all.map((x, i) => ({ ...x, index: i + 1 })).filter((x) => filter === 'all' || x.outcome === filter);
  const count = (f: Filter) => (f === 'all' ? all.length : all.filter((x) => x.outcome === f).length);
  return (
    <div className="eval-items" data-testid="eval-items">
      <div className="eval-items-toolbar">
        <label>
          Run{' '}
          <select className="input" value={run} onChange={(e) => setRun(e.target.value)} data-testid="eval-items-run">
            {labels.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="filter-buttons">
          <legend className="visually-hidden">Show</legend>
          {FILTERS.map((f) => (
            <button
              key={f}
              type="button"
              className={`button button-small${filter === f ? ' button-selected' : ''}`}
              aria-pressed={filter === f}
              data-filter={f}
              onClick={() => {
                setFilter(f);
                setShown(PAGE);
              }}
            >
              {FILTER_NAMES[f]} ({count(f)})
            </button>
          ))}
        </fieldset>
      </div>
      <div className="table-scroll">
        <table className="table eval-items-table">
          <caption className="visually-hidden">
            {run}: held-out items, {FILTER_NAMES[filter]}
          </caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                #
              </th>
              <th scope="col">Question</th>
              <th scope="col">{run}’s answer</th>
              <th scope="col">Baseline’s answer</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, shown).map((x) => (
              <tr key={x.index} data-outcome={x.outcome}>
                <td className="num">{x.index}</td>
                <td>{x.instruction}</td>
                <td>{x.answer}</td>
                <td>{x.baseline}</td>
                <td className={`outcome-${x.outcome}`}>{x.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > shown && (
        <button type="button" className="button button-small" onClick={() => setShown((n) => n + PAGE * 5)}>
          Show more ({rows.length - shown} left)
        </button>
      )}
    </div>
  );
}
