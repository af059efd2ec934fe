/**
 * The token-by-token margin view: one training pair under every run, each token coloured by its
 * contribution to the implicit reward β·(log πθ − log πref), at a step the scrubber picks. JPO's
 * prompt tokens count (joint log-probs); DPO's are masked (conditional: the response only), so they
 * are greyed. The numbers come from the worker only when asked (requestTokenMargins): the trained
 * params at a few steps stay in the worker for the experiment trained last in this page.
 */
import { useEffect, useMemo, useState } from 'react';
import type { TokenMargin } from '../../lab/token-margins.ts';
import type { TokenMarginsAnswer } from '../../lab/token-margins-keeper.ts';
import { requestTokenMargins } from '../../state/orchard-worker.ts';
import { useRunStore } from '../../state/run-store.ts';
import { useTokenMarginsStore } from '../../state/token-margins-store.ts';
import '../styles/token-margins.css';
import { TokenPairPicker } from './TokenPairPicker.tsx';

export function TokenMargins() {
  const session = useRunStore((s) => s.session);
  const runs = useMemo(() => Object.keys(session?.series ?? {}), [session?.series]);
  const { query, answers, pending, error } = useTokenMarginsStore();
  const ready = session?.origin === 'live' && session.status === 'done' && runs.length > 0;
  const runId = session?.id ?? '';
  const [pairFrom, setPairFrom] = useState<string | null>(null);
  const [pairIndex, setPairIndex] = useState(0);
  const from = pairFrom && runs.includes(pairFrom) ? pairFrom : runs[0];

  // The first view: the first pair of the first run, at the last step kept.
  useEffect(() => {
    if (ready && query?.runId !== runId)
      requestTokenMargins({ runId, pairFrom: runs[0], pairIndex: 0, step: null }, runs);
  }, [ready, runId, runs, query?.runId]);

  if (!session) return null;
  if (!ready) {
    const why =
      session.origin === 'saved'
        ? 'The token view needs the experiment trained in this page: the trained weights at each step are kept only in memory.'
        : 'The token view opens when the experiment has finished.';
    return <p className="muted empty">{why}</p>;
  }
  const shown = runs.map((r) => answers[r]).filter((a): a is TokenMarginsAnswer => !!a && a.pairFrom === from);
  const first = shown[0];
  const steps = first?.steps ?? [];
  const step = first?.step ?? null;
  const stepIndex = step === null ? steps.length - 1 : Math.max(0, steps.indexOf(step));
  const busy = Object.keys(pending).length > 0;
  const ask = (q: { pairFrom?: string; pairIndex?: number; step?: number | null }) =>
    requestTokenMargins(
      {
        runId,
        pairFrom: q.pairFrom ?? from,
        pairIndex: q.pairIndex ?? pairIndex,
        step: q.step === undefined ? step : q.step,
      },
      runs,
    );
  const scale = Math.max(
    1e-12,
    ...shown.flatMap((a) => sides(a).flatMap((s) => s.tokens.map((t) => Math.abs(t.contribution)))),
  );
  // Unknown until the worker's first answer: the picker then waits instead of claiming 0 pairs.
  const pairCount = first?.pairCount;

  return (
    <div data-testid="token-margins" aria-busy={busy}>
      <div className="token-controls">
        <label>
          Pairs of{' '}
          <select
            data-testid="token-pair-from"
            value={from}
            onChange={(e) => {
              setPairFrom(e.target.value);
              setPairIndex(0);
              ask({ pairFrom: e.target.value, pairIndex: 0 });
            }}
          >
            {runs.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <TokenPairPicker
          options={first?.pairOptions ?? []}
          pairCount={pairCount}
          pairIndex={pairIndex}
          shown={
            first && {
              index: first.pairIndex,
              pair: first.pair,
              added: first.pairOptions.some((o) => o.index === first.pairIndex && o.added),
            }
          }
          onPick={(index) => {
            setPairIndex(index);
            ask({ pairIndex: index });
          }}
        />
        <label>
          Step <strong data-testid="token-step">{step ?? '…'}</strong>{' '}
          <input
            type="range"
            data-testid="token-step-scrubber"
            aria-label="Training step"
            aria-valuetext={step === null ? undefined : `step ${step} of ${steps[steps.length - 1]}`}
            min={0}
            max={Math.max(0, steps.length - 1)}
            step={1}
            value={stepIndex}
            disabled={steps.length < 2}
            onChange={(e) => ask({ step: steps[Number(e.target.value)] })}
          />
        </label>
        <span className="muted" data-testid="token-state">
          {busy ? 'computing…' : 'ready'}
        </span>
      </div>
      {error && (
        <p className="bad" role="alert">
          {error}
        </p>
      )}
      <Legend scale={scale} beta={first?.beta} />
      <TokenDetailHost answers={shown} scale={scale} />
      {steps.length > 0 && (
        <p className="muted">
          Steps kept: {steps.join(', ')} (step 0 is the reference itself, so every token contributes 0 there).
        </p>
      )}
    </div>
  );
}

function sides(a: TokenMarginsAnswer) {
  return [
    { name: 'chosen', label: 'Chosen', tokens: a.margins.chosen.tokens, reward: a.margins.chosen.reward },
    { name: 'rejected', label: 'Rejected', tokens: a.margins.rejected.tokens, reward: a.margins.rejected.reward },
  ];
}

function Legend({ scale, beta }: { scale: number; beta: number | undefined }) {
  return (
    <div className="token-legend" data-testid="token-legend">
      <span>
        <span className="token-swatch" style={{ background: colourOf(scale, scale) }} />
        raises the side's implicit reward
      </span>
      <span>
        <span className="token-swatch" style={{ background: colourOf(-scale, scale) }} />
        lowers it
      </span>
      <span>
        <span className="token-swatch token-masked" />
        masked (not scored)
      </span>
      <span>
        per token: β·(log πθ − log πref){beta !== undefined ? `, β = ${beta}` : ''}; full colour = ±
        {scale.toPrecision(2)}
      </span>
    </div>
  );
}

function TokenDetailHost({ answers, scale }: { answers: TokenMarginsAnswer[]; scale: number }) {
  const [focused, setFocused] = useState<{ t: TokenMargin; beta: number } | null>(null);
  return (
    <>
      <p className="token-detail" aria-live="polite" data-testid="token-detail">
        {focused ? describe(focused.t, focused.beta) : 'Hover over or tab to a token to see its numbers.'}
      </p>
      {answers.map((a) => (
        <section
          key={a.run}
          className="token-run"
          data-testid={`token-run-${a.run}`}
          data-step={a.step}
          data-pair={`${a.pairFrom}:${a.pairIndex}`}
        >
          <h4>
            {a.run}{' '}
            <span className="muted">({a.mode === 'joint' ? 'joint log π(x, y)' : 'conditional log π(y|x)'})</span> —
            reward margin {signed(a.margins.margin)}
          </h4>
          {a.mode === 'conditional' && <p className="muted">masked: DPO scores the response only</p>}
          {a.mode === 'conditional' && a.pair.i_chosen !== a.pair.i_reject && (
            <p className="muted" data-testid="token-joint-note">
              A joint pair (two instructions): {a.run} never trains on such pairs; its numbers are shown for comparison.
            </p>
          )}
          {sides(a).map((s) => (
            <div className="token-side" key={s.name} data-testid={`token-side-${a.run}-${s.name}`}>
              <span>
                {s.label}
                <br />
                <span className="muted">r = {signed(s.reward)}</span>
              </span>
              <div className="token-row">
                {s.tokens.map((t, i) => (
                  <button
                    // biome-ignore lint/suspicious/noArrayIndexKey: tokens are positions in a fixed sequence
                    key={i}
                    className={t.masked ? 'token token-masked' : 'token'}
                    type="button"
                    data-part={t.part}
                    data-masked={t.masked ? 'true' : 'false'}
                    data-contribution={String(t.contribution)}
                    data-policy-logp={String(t.policyLogp)}
                    data-reference-logp={String(t.referenceLogp)}
                    title={describe(t, a.beta)}
                    style={t.masked ? undefined : { background: colourOf(t.contribution, scale) }}
                    onMouseEnter={() => setFocused({ t, beta: a.beta })}
                    onFocus={() => setFocused({ t, beta: a.beta })}
                  >
                    {visible(t.text)}
                  </button>
                ))}
              </div>
            </div>
          ))}
        </section>
      ))}
    </>
  );
}

function describe(t: TokenMargin, beta: number): string {
  const text = JSON.stringify(t.text);
  if (t.masked) return `${text} (${t.part}): masked, contributes 0 (log πθ ${t.policyLogp.toFixed(5)})`;
  return `${text} (${t.part}): ${signed(t.contribution)} = β·(log πθ ${t.policyLogp.toFixed(5)} − log πref ${t.referenceLogp.toFixed(5)}), β = ${beta}`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toPrecision(3)}`;
}

/** Newlines and empty tokens stay visible as tokens. */
function visible(text: string): string {
  if (text === '') return '∅';
  return text.replace(/\n/g, '↵');
}

/** Green for positive, red for negative, opacity by size against the largest shown. */
function colourOf(contribution: number, scale: number): string {
  const a = Math.min(1, Math.abs(contribution) / scale) * 0.75;
  return contribution >= 0 ? `rgba(22, 163, 74, ${a.toFixed(3)})` : `rgba(220, 38, 38, ${a.toFixed(3)})`;
}
