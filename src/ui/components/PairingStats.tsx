/**
 * The mechanism made visible (issue 12, item 3): what each run got from its judge budget. Per run,
 * from its `pairing` event: judge calls, pairs kept (conditional + joint), ties by kind with their
 * tie rates, inconsistent verdicts dropped, pairs per 100 judge calls, and the training length
 * (epochs over the run's own pairs, optimizer steps). The paper's motivation reads off the tie
 * rates: two answers to one instruction often tie, a joint comparison still carries signal.
 */
import type { PairingEvent } from '../../lab/events.ts';
import type { ExperimentSpec } from '../../lab/spec.ts';
import { type ProgressEntry, useRunStore } from '../../state/run-store.ts';

const rate = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(0)}%`);

/** Optimizer steps of a run: the training bar's total once training started, else what the spec fixes. */
function runSteps(spec: ExperimentSpec, label: string, progress: readonly ProgressEntry[]): number | null {
  const bar = progress.find((p) => p.stage === 'train' && p.run === label);
  return bar?.total ?? spec.steps ?? null;
}

/**
 * Passes over the run's own pairs: the spec's epochs when it fixes them, else steps × pairs per step
 * over the pairs the run trains on (judged pairs of its kinds; hand-added rows not counted).
 */
function runEpochs(
  spec: ExperimentSpec,
  steps: number | null,
  e: PairingEvent,
  trains: 'conditional' | 'joint' | 'both',
) {
  if (spec.epochs !== null && spec.epochs !== undefined) return String(spec.epochs);
  const pairs = (trains !== 'joint' ? e.pairs.conditional : 0) + (trains !== 'conditional' ? e.pairs.joint : 0);
  if (steps === null || pairs === 0) return '–';
  const perStep = Math.min(spec.batchSize, pairs) * spec.gradAccumulation;
  return `≈ ${((steps * perStep) / pairs).toFixed(1)}`;
}

export function PairingStats() {
  const session = useRunStore((s) => s.session);
  if (!session) return null;
  const spec = session.spec;
  const rows = spec.runs.map((r) => ({ run: r, e: session.pairing[r.label] })).filter((x) => x.e !== undefined);
  if (rows.length === 0) return null;
  const scoreBased = rows.some((x) => x.e.verdictBasis === 'score-comparison');
  return (
    <div className="table-scroll">
      <table className="table" data-testid="pairing-stats">
        <caption className="muted">
          What each run got from its judge budget. Every pair is asked in both orders; ties and pairs whose two orders
          disagree (inconsistent) are dropped. Compare the tie rates: two answers to the same instruction often tie, a
          joint comparison of two different instructions less often.
          {scoreBased && ' This judge scores each side alone, so its joint verdicts are score comparisons.'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col" className="num">
              Judge calls
            </th>
            <th scope="col" className="num">
              Pairs kept (cond. + joint)
            </th>
            <th scope="col" className="num">
              Ties (cond. / joint)
            </th>
            <th scope="col" className="num">
              Tie rate (cond. / joint)
            </th>
            <th scope="col" className="num">
              Inconsistent
            </th>
            <th scope="col" className="num">
              Pairs per 100 calls
            </th>
            <th scope="col" className="num">
              Epochs / steps
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ run, e }) => {
            const steps = runSteps(spec, run.label, session.progress);
            return (
              <tr key={run.label} data-run={run.label}>
                <th scope="row">{run.label}</th>
                <td className="num" data-cell="judge-calls">
                  {e.judgeCalls}
                </td>
                <td className="num" data-cell="pairs">
                  <span data-cell="pairs-conditional">{e.pairs.conditional}</span> +{' '}
                  <span data-cell="pairs-joint">{e.pairs.joint}</span>
                </td>
                <td className="num" data-cell="ties">
                  {e.ties.conditional} / {e.ties.joint}
                </td>
                <td className="num" data-cell="tie-rates">
                  {rate(e.tieRate.conditional)} / {rate(e.tieRate.joint)}
                </td>
                <td className="num" data-cell="inconsistent">
                  {e.inconsistent}
                </td>
                <td className="num" data-cell="pairs-per-100">
                  {e.pairsPer100Calls.toFixed(1)}
                </td>
                <td className="num" data-cell="length">
                  {runEpochs(spec, steps, e, run.pairs)} / {steps ?? '–'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
