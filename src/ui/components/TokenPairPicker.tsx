/**
 * The token view's pair picker: a short list (the first and last few pairs of each kind, every pair
 * the spec added by hand, the pair shown), a pair number field that reaches any pair (Enter or
 * "Show"), previous/next buttons, and a preview of the pair on screen. All of it works from the
 * keyboard; the worker computes the chosen pair's margins on demand (lab/token-pair-choice.ts).
 */
import { useEffect, useState } from 'react';
import type { PreferenceRow } from '../../data/types.ts';
import { clipText, type PairOption, pairPreview, parsePairNumber } from '../../lab/token-pair-choice.ts';

interface Props {
  options: readonly PairOption[];
  /** The run's training pairs; undefined until the worker's first answer says. */
  pairCount: number | undefined;
  /** The pair asked for (index into the run's training pairs). */
  pairIndex: number;
  /** The pair on screen (from the worker's answer), for the preview; absent until one arrives. */
  shown?: { index: number; pair: PreferenceRow; added: boolean };
  onPick: (index: number) => void;
}

export function TokenPairPicker({ options, pairCount, pairIndex, shown, onPick }: Props) {
  const known = pairCount !== undefined;
  const count = known ? String(pairCount) : '…';
  const [typed, setTyped] = useState(String(pairIndex + 1));
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setTyped(String(pairIndex + 1)), [pairIndex]);
  const pick = (index: number) => {
    setProblem(null);
    onPick(index);
  };
  // The list always holds the pair asked for, even before the answer that lists it arrives.
  const listed = options.some((o) => o.index === pairIndex)
    ? options
    : [...options, { index: pairIndex, kind: undefined, instruction: '', added: false }].sort(
        (a, b) => a.index - b.index,
      );
  return (
    <>
      <label>
        Pair{' '}
        <select data-testid="token-pair" value={pairIndex} onChange={(e) => pick(Number(e.target.value))}>
          {listed.map((o) => (
            <option key={o.index} value={o.index}>
              {o.index + 1} of {count}
              {o.kind ? `, ${o.kind}` : ''}
              {o.added ? ', added by hand' : ''}
              {o.instruction ? `: ${clipText(o.instruction, 32)}` : ''}
            </option>
          ))}
        </select>
      </label>
      {/* noValidate: the browser's own range check would block the submit without saying the range. */}
      <form
        className="token-pair-number"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!known) return;
          const r = parsePairNumber(typed, pairCount);
          if (r.ok) pick(r.index);
          else setProblem(r.message);
        }}
      >
        <button type="button" aria-label="Previous pair" disabled={pairIndex <= 0} onClick={() => pick(pairIndex - 1)}>
          ‹
        </button>
        <label>
          Pair number{' '}
          <input
            type="number"
            data-testid="token-pair-number"
            inputMode="numeric"
            min={1}
            max={Math.max(1, pairCount ?? 1)}
            value={typed}
            disabled={!known}
            aria-invalid={problem !== null}
            aria-describedby="token-pair-preview"
            onChange={(e) => {
              setTyped(e.target.value);
              setProblem(null);
            }}
          />
        </label>{' '}
        <span className="muted">of {count}</span>
        <button type="submit" data-testid="token-pair-show" disabled={!known}>
          Show
        </button>
        <button
          type="button"
          aria-label="Next pair"
          disabled={!known || pairIndex >= pairCount - 1}
          onClick={() => pick(pairIndex + 1)}
        >
          ›
        </button>
      </form>
      {problem && (
        <p className="bad" role="alert" data-testid="token-pair-problem">
          {problem}
        </p>
      )}
      <Preview shown={shown} count={count} />
    </>
  );
}

function Preview({ shown, count }: { shown: Props['shown']; count: string }) {
  if (!shown) return <p id="token-pair-preview" className="token-pair-preview muted" />;
  const p = pairPreview(shown.pair);
  return (
    <p id="token-pair-preview" className="token-pair-preview" data-testid="token-pair-preview" aria-live="polite">
      <strong>
        Pair {shown.index + 1} of {count}
      </strong>{' '}
      <span className="muted">
        ({p.kind}
        {shown.added ? ', added by hand' : ''})
      </span>{' '}
      {p.instruction} — chosen: “{p.chosen}”, rejected: “{p.rejected}”
    </p>
  );
}
