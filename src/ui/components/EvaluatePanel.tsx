/**
 * Evaluation: win rates with their 95% intervals, and sample answers before and after training,
 * with the judge's score and reason.
 */
import { useMemo } from 'react';
import type { EvalReport, SamplesEvent } from '../../lab/events.ts';
import { useRunStore } from '../../state/run-store.ts';
import { runColors } from '../lib/run-colors.ts';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function WinRateTable() {
  const session = useRunStore((s) => s.session);
  const runs = session?.spec.runs;
  const colors = useMemo(() => runColors(runs ?? []), [runs]);
  if (!session) return null;
  const evals = session.evals;
  if (evals.length === 0) {
    const n = session.spec.eval.nTest;
    return (
      <p className="muted" data-testid="winrate-empty">
        {n === 0
          ? 'Evaluation is off for this experiment (0 held-out questions).'
          : `Win rates over ${n} held-out questions appear here after training.`}
      </p>
    );
  }
  const baseline = evals[0].baseline === 'gold' ? 'the gold answer' : 'the untrained model';
  return (
    <div className="winrate table-scroll">
      <table className="table" data-testid="winrate-table">
        <caption className="muted">
          Each held-out question: the judge compares the run’s answer with {baseline}’s, in both orders; a tie counts as
          half a win. The bar shows the 95% interval (Wilson): with few questions it is wide, and two runs whose
          intervals overlap may not really differ.
        </caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Win rate</th>
            <th scope="col">95% interval</th>
            <th scope="col" className="num">
              Wins / ties / losses
            </th>
            <th scope="col" className="num">
              Mean score
            </th>
          </tr>
        </thead>
        <tbody>
          {evals.map((r) => (
            <WinRateRow key={r.run} report={r} color={colors.get(r.run) ?? 'var(--muted)'} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WinRateRow({ report, color }: { report: EvalReport; color: string }) {
  const w = report.winRate;
  return (
    <tr data-run={report.run}>
      <th scope="row">
        <span className="swatch" style={{ background: color }} aria-hidden="true" /> {report.run}
      </th>
      <td className="num strong">{pct(w.rate)}</td>
      <td>
        <div className="interval" role="img" aria-label={`from ${pct(w.low)} to ${pct(w.high)}`}>
          <span className="interval-mid" style={{ left: '50%' }} aria-hidden="true" />
          <span
            className="interval-bar"
            style={{ left: `${w.low * 100}%`, width: `${Math.max(0.5, (w.high - w.low) * 100)}%`, background: color }}
          />
          <span className="interval-dot" style={{ left: `${w.rate * 100}%`, borderColor: color }} />
        </div>
        <span className="muted small">
          {pct(w.low)} – {pct(w.high)}
        </span>
      </td>
      <td className="num">
        {w.wins} / {w.ties} / {w.losses} <span className="muted">of {w.n}</span>
      </td>
      <td className="num">
        {report.meanScore !== undefined ? report.meanScore.toFixed(2) : '—'}
        {report.baselineMeanScore !== undefined && (
          <span className="muted"> vs {report.baselineMeanScore.toFixed(2)}</span>
        )}
      </td>
    </tr>
  );
}

/** The latest sample set of each run, with 'initial' (before training) first. */
function latestByRun(samples: readonly SamplesEvent[]): SamplesEvent[] {
  const latest = new Map<string, SamplesEvent>();
  for (const s of samples) {
    const prev = latest.get(s.run);
    if (!prev || s.step >= prev.step) latest.set(s.run, s);
  }
  return [...latest.values()].sort((a, b) => (a.run === 'initial' ? -1 : b.run === 'initial' ? 1 : 0));
}

export function SamplesPanel() {
  const session = useRunStore((s) => s.session);
  const runs = session?.spec.runs;
  const colors = useMemo(() => runColors(runs ?? []), [runs]);
  if (!session) return null;
  const sets = latestByRun(session.samples);
  if (sets.length === 0) {
    return <p className="muted">Sample answers to a few held-out questions appear here, before and after training.</p>;
  }
  const instructions = [...new Set(sets.flatMap((s) => s.samples.map((x) => x.instruction)))];
  const tinyOnApples = session.spec.model.source === 'bundled' && session.spec.data.source === 'task';
  return (
    <>
      {tinyOnApples && (
        <p className="muted" data-testid="samples-habit">
          The bundled model has a habit: more often than not it lists one item too many. Its own samples show both the
          habit and correct lists, and that is what the judge's pairs teach. Watch whether the trained runs stop at the
          right count.
        </p>
      )}
      <div className="samples-scroll" data-testid="samples">
        <table className="table samples-table">
          <caption className="visually-hidden">Answers to held-out questions, before and after training</caption>
          <thead>
            <tr>
              <th scope="col">Question</th>
              {sets.map((s) => (
                <th scope="col" key={s.run}>
                  {s.run !== 'initial' && (
                    <span className="swatch" style={{ background: colors.get(s.run) }} aria-hidden="true" />
                  )}{' '}
                  {s.run === 'initial' ? 'Before training' : `${s.run} (step ${s.step})`}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {instructions.map((instruction) => (
              <tr key={instruction}>
                <th scope="row" className="sample-question">
                  {instruction}
                </th>
                {sets.map((s) => {
                  const sample = s.samples.find((x) => x.instruction === instruction);
                  const before =
                    sets[0].run === 'initial' ? sets[0].samples.find((x) => x.instruction === instruction) : undefined;
                  const changed =
                    s.run !== 'initial' &&
                    sample !== undefined &&
                    before !== undefined &&
                    before.response !== sample.response;
                  return (
                    <td key={s.run} className={`sample-cell${changed ? ' sample-changed' : ''}`}>
                      {sample ? (
                        <>
                          <p className="sample-response">{sample.response || <span className="muted">(empty)</span>}</p>
                          {changed && <span className="changed-tag">changed</span>}
                          {sample.score !== undefined && (
                            <span className={`score ${scoreClass(sample.score)}`}>score {sample.score.toFixed(2)}</span>
                          )}
                          {sample.reason && <p className="sample-reason muted">{sample.reason}</p>}
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function scoreClass(score: number): string {
  if (score >= 0.999) return 'score-good';
  if (score >= 0.6) return 'score-mid';
  return 'score-bad';
}
