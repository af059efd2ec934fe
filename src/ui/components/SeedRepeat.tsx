/**
 * "Repeat over N seeds" (issue 12, item 4): runs the shown experiment again for seeds s … s+N−1
 * (src/state/seed-repeat-store.ts), then shows each seed's difference between the headline pair of
 * runs (JPO − DPO when both are there) and the difference pooled over seeds and items, with its
 * paired bootstrap interval, saying plainly when the interval contains 0.
 */
import { useMemo, useState } from 'react';
import { describeComparison } from '../../lab/stats/paired.ts';
import { isLiveStatus, useRunStore } from '../../state/run-store.ts';
import { MAX_REPEAT_SEEDS, repeatOverSeeds, useSeedRepeatStore } from '../../state/seed-repeat-store.ts';
import { comparisonAttrs, runComparisonsOverSeeds } from '../lib/eval-comparisons.ts';

const points = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} points`;

export function SeedRepeat() {
  const session = useRunStore((s) => s.session);
  const repeat = useSeedRepeatStore();
  const [n, setN] = useState(3);
  const pooled = useMemo(
    () =>
      repeat.spec
        ? runComparisonsOverSeeds(
            repeat.spec,
            repeat.finished.map((f) => f.items),
          )[0]
        : undefined,
    [repeat.spec, repeat.finished],
  );
  if (!session) return null;
  const spec = session.spec;
  const blocked =
    spec.runs.length < 2
      ? 'needs two runs to compare'
      : spec.eval.nTest === 0
        ? 'needs held-out questions (evaluation is off)'
        : isLiveStatus(session.status)
          ? 'waits for the current run to end'
          : null;
  const valid = Number.isInteger(n) && n >= 2 && n <= MAX_REPEAT_SEEDS;
  const start = () => {
    void repeatOverSeeds(spec, n);
  };
  return (
    <div className="seed-repeat" data-testid="seed-repeat" data-status={repeat.status}>
      <p className="muted">
        One seed is one draw of the sampled answers, the judge’s noise and the training order. Repeat the same
        experiment over several seeds to see how much the difference moves from seed to seed.
      </p>
      <div className="seed-repeat-controls">
        <label>
          Seeds{' '}
          <input
            className="input"
            type="number"
            min={2}
            max={MAX_REPEAT_SEEDS}
            value={n}
            onChange={(e) => setN(Number(e.target.value))}
            data-testid="seed-repeat-n"
          />
        </label>{' '}
        <button
          type="button"
          className="button"
          disabled={blocked !== null || !valid || repeat.status === 'running'}
          onClick={start}
          data-testid="seed-repeat-start"
        >
          Repeat over {valid ? n : 'N'} seeds
        </button>{' '}
        <span className="muted small">
          {blocked
            ? `Repeating ${blocked}.`
            : valid
              ? `Seeds ${spec.seed} to ${spec.seed + n - 1}, one after another.`
              : `N from 2 to ${MAX_REPEAT_SEEDS}.`}
        </span>
      </div>
      {repeat.status === 'running' && repeat.spec && (
        <p className="muted" role="status">
          Running seed {repeat.spec.seed + repeat.finished.length} ({repeat.finished.length + 1} of {repeat.nSeeds}).
        </p>
      )}
      {repeat.message && <p className="difference-unclear">{repeat.message}</p>}
      {pooled && (
        <>
          <ul className="seed-points" data-testid="seed-points">
            {pooled.perSeed.map((d, s) => (
              <li key={repeat.finished[s].seed} data-seed={repeat.finished[s].seed} data-difference={d}>
                Seed {repeat.finished[s].seed}: {pooled.b} − {pooled.a} {points(d)}
              </li>
            ))}
          </ul>
          <p data-testid="seed-pooled" data-seeds={pooled.nSeeds} {...comparisonAttrs(pooled)}>
            Pooled over {pooled.nSeeds} seeds × {pooled.nItems} items: {describeComparison(pooled)}
          </p>
        </>
      )}
    </div>
  );
}
