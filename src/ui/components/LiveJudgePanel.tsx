/**
 * A person as the run's pairing or (blind) evaluation judge: while the live run waits for them, this card shows one
 * comparison at a time (the oldest waiting), side A and side B, and takes "A is better", "B is
 * better" or "Tie" by button or key (A, B, T). The card keeps the focus from one pair to the next,
 * so a keyboard-only user can answer everything; it takes the focus when it first appears unless
 * the user is typing somewhere. Each pair is asked once: the worker mirrors the answer for the
 * swapped order.
 */
import { type KeyboardEvent, useEffect, useRef } from 'react';
import type { Winner } from '../../data/judges/types.ts';
import { answeredCount, unanswered, useLiveJudgeStore } from '../../state/live-judge-store.ts';
import { answerComparison } from '../../state/orchard-worker.ts';
import { useRunStore } from '../../state/run-store.ts';

const KEYS: Record<string, Winner> = { a: 'a', b: 'b', t: 'tie' };

export function LiveJudgePanel() {
  const judge = useLiveJudgeStore();
  const sessionId = useRunStore((s) => (s.session?.origin === 'live' ? s.session.id : null));
  const card = useRef<HTMLElement>(null);
  const waiting = judge.runId !== null && judge.runId === sessionId ? unanswered(judge) : [];
  const current = waiting[0];
  const shown = current !== undefined;

  useEffect(() => {
    if (!shown) return;
    const active = document.activeElement;
    if (card.current?.contains(active)) return;
    if (active?.closest('input, select, textarea, [contenteditable="true"]')) return;
    card.current?.focus();
  }, [shown]);

  if (!current) return null;
  const done = answeredCount(judge);
  const total = Math.max(judge.total ?? 0, done + waiting.length);
  const conditional = current.a.instruction === current.b.instruction;
  const evaluation = judge.purpose === 'evaluation';
  // Evaluation is blind: the wording names no run or baseline, only the two answers.
  const title = evaluation ? 'Which answer is better?' : 'The run waits for you: which side is better?';
  const noun = evaluation ? 'question' : 'pair';

  const act = (winner: Winner) => {
    answerComparison(current.id, winner);
    card.current?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const winner = KEYS[e.key.toLowerCase()];
    if (!winner) return;
    e.preventDefault();
    act(winner);
  };

  return (
    <section
      ref={card}
      className="judge-card live-judge"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the card takes focus so its shortcuts (A, B, T) work
      tabIndex={0}
      onKeyDown={onKeyDown}
      data-testid="live-judge"
      data-comparison={current.id}
      data-kind={conditional ? 'conditional' : 'joint'}
      data-purpose={judge.purpose}
      aria-label={`${title} ${noun} ${done + 1} of ${total}. Press A or B for the better side, T for a tie.`}
    >
      <div className="judge-meta">
        <strong>{title}</strong>
        <span className="muted" aria-live="polite" data-testid="live-judge-count">
          {done} of {total} answered
        </span>
      </div>
      {conditional && (
        <p className="judge-instruction" data-testid="live-judge-instruction">
          {current.a.instruction}
        </p>
      )}
      <div className="judge-sides">
        {(['a', 'b'] as const).map((side) => (
          <div key={side} className="judge-side judge-side-static" data-testid={`live-side-${side}`}>
            <span className="side-key" aria-hidden="true">
              {side.toUpperCase()}
            </span>
            <span className="visually-hidden">Side {side.toUpperCase()}: </span>
            {!conditional && <span className="side-instruction">{current[side].instruction}</span>}
            <span className="side-response">{current[side].response}</span>
          </div>
        ))}
      </div>
      <div className="judge-actions">
        <button type="button" className="button" onClick={() => act('a')} aria-keyshortcuts="A">
          <kbd>A</kbd> A is better
        </button>
        <button type="button" className="button" onClick={() => act('b')} aria-keyshortcuts="B">
          <kbd>B</kbd> B is better
        </button>
        <button type="button" className="button" onClick={() => act('tie')} aria-keyshortcuts="T">
          <kbd>T</kbd> Tie
        </button>
        {waiting.length > 1 && <span className="muted">{waiting.length - 1} more waiting</span>}
      </div>
    </section>
  );
}
