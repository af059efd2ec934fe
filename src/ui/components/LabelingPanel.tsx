/**
 * Labelling: a person judges pairs, conditional (one instruction, two answers) and joint (two
 * different instructions, each with an answer), with the keyboard (A, B, T for a tie, S to skip,
 * U to undo) or the buttons. Answers are saved in the browser and become training pairs through
 * the spec's data edits.
 */
import { type KeyboardEvent, useEffect, useRef } from 'react';
import { SPEC_LIMITS } from '../../lab/spec.ts';
import { labelsToRows, nextPair } from '../../state/label-queue.ts';
import {
  type Answer,
  answerCurrent,
  loadLabelling,
  resetLabels,
  undoLast,
  useLabelsStore,
} from '../../state/labels-store.ts';
import { useSpecStore } from '../../state/spec-store.ts';

const KEYS: Record<string, Answer | 'undo'> = { a: 'a', b: 'b', t: 'tie', s: 'skip', u: 'undo' };

/** The buttons under the two sides (A and B are the sides themselves). */
const JUDGE_ACTIONS: { action: 'tie' | 'skip' | 'undo'; key: string; label: string }[] = [
  { action: 'tie', key: 'T', label: 'Tie' },
  { action: 'skip', key: 'S', label: 'Skip' },
  { action: 'undo', key: 'U', label: 'Undo' },
];

export function LabelingPanel() {
  const seed = useSpecStore((s) => s.draft.seed);
  const readonly = useSpecStore((s) => s.view.readonly);
  const edits = useSpecStore((s) => s.draft.data.edits.add.length);
  const edit = useSpecStore((s) => s.edit);
  const queue = useLabelsStore((s) => s.queue);
  const labels = useLabelsStore((s) => s.labels);
  const loaded = useLabelsStore((s) => s.loaded);
  const card = useRef<HTMLElement>(null);

  useEffect(() => {
    if (Number.isInteger(seed) && seed >= 0) void loadLabelling(seed);
  }, [seed]);

  const pair = nextPair(queue, labels);
  const rows = labelsToRows(labels);
  const counts = {
    a: labels.filter((l) => l.winner === 'a' || l.winner === 'b').length,
    tie: labels.filter((l) => l.winner === 'tie').length,
    skip: labels.filter((l) => l.winner === 'skip').length,
  };
  const done = queue.filter((p) => labels.some((l) => l.key === p.key)).length;

  const act = (what: Answer | 'undo') => {
    if (what === 'undo') undoLast();
    else answerCurrent(what);
    card.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target as HTMLElement;
    if (target.closest('input, select, textarea')) return;
    const what = KEYS[e.key.toLowerCase()];
    if (!what) return;
    if (what !== 'undo' && !pair) return;
    e.preventDefault();
    act(what);
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: keyboard shortcuts for the buttons inside
    <div className="labeling" onKeyDown={onKeyDown} data-testid="labeling">
      <p className="muted section-note">
        Judge which side is better, as the paper’s judges do. <strong>Conditional</strong> pairs answer the same
        instruction; <strong>joint</strong> pairs answer different instructions, so you judge which (instruction,
        answer) pair is the better one. Keys: <kbd>A</kbd> or <kbd>B</kbd> for the better side, <kbd>T</kbd> tie,{' '}
        <kbd>S</kbd> skip, <kbd>U</kbd> undo.
      </p>
      {!loaded && <p className="muted">Preparing pairs…</p>}
      {loaded && pair && (
        <section
          ref={card}
          className="judge-card"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: the card takes focus so its shortcuts (A, B, T, S, U) work
          tabIndex={0}
          data-testid="judge-card"
          data-kind={pair.kind}
          data-key={pair.key}
          aria-label={`Pair ${done + 1} of ${queue.length}, ${pair.kind}. Press A or B for the better side, T tie, S skip, U undo.`}
        >
          <div className="judge-meta">
            <span className={`badge ${pair.kind === 'joint' ? 'badge-joint' : 'badge-cond'}`}>
              {pair.kind === 'joint' ? 'Joint: different instructions' : 'Conditional: same instruction'}
            </span>
            <span className="muted" aria-live="polite">
              Pair {done + 1} of {queue.length}
            </span>
          </div>
          {pair.kind === 'conditional' && <p className="judge-instruction">{pair.a.instruction}</p>}
          <div className="judge-sides">
            {(['a', 'b'] as const).map((side) => (
              <button
                key={side}
                type="button"
                className="judge-side"
                onClick={() => act(side)}
                aria-keyshortcuts={side.toUpperCase()}
                data-testid={`side-${side}`}
                disabled={readonly}
              >
                <span className="side-key" aria-hidden="true">
                  {side.toUpperCase()}
                </span>
                <span className="visually-hidden">Side {side.toUpperCase()} is better: </span>
                {pair.kind === 'joint' && <span className="side-instruction">{pair[side].instruction}</span>}
                <span className="side-response">{pair[side].response}</span>
              </button>
            ))}
          </div>
          <div className="judge-actions">
            {JUDGE_ACTIONS.map(({ action, key, label }) => (
              <button
                key={action}
                type="button"
                className="button"
                onClick={() => act(action)}
                aria-keyshortcuts={key}
                disabled={readonly || (action === 'undo' && labels.length === 0)}
              >
                <kbd>{key}</kbd> {label}
              </button>
            ))}
          </div>
        </section>
      )}
      {loaded && !pair && (
        <section className="judge-card judge-done" ref={card} tabIndex={-1} aria-label="Labelling done">
          <p>
            You judged every pair in the queue.{' '}
            <button type="button" className="link-button" onClick={() => act('undo')}>
              Undo the last one
            </button>
          </p>
        </section>
      )}
      <div className="label-summary" data-testid="label-summary">
        <span>
          <strong data-testid="label-count">{rows.length}</strong> usable label{rows.length === 1 ? '' : 's'} (
          {plural(counts.tie, 'tie')}, {counts.skip} skipped);{' '}
          {edits > 0 ? `${plural(edits, 'pair')} in the experiment’s edits.` : 'none in the experiment yet.'}
        </span>
        <span className="label-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={rows.length === 0 || readonly}
            data-testid="use-labels"
            onClick={() =>
              edit((d) => {
                d.data.edits.add = rows.slice(0, SPEC_LIMITS.editsAdd);
              })
            }
          >
            Add my {plural(rows.length, 'label')} to the experiment
          </button>
          <button
            type="button"
            className="button button-quiet"
            disabled={labels.length === 0 || readonly}
            onClick={() => void resetLabels()}
          >
            Clear my labels
          </button>
        </span>
      </div>
      <p className="muted small">
        Adding does not start training: your labels join the judged pairs of the next run you start (the spec’s{' '}
        <code>data.edits.add</code>, at most {SPEC_LIMITS.editsAdd}); a share link carries them. Picking a preset or a
        lesson replaces the experiment, so add them again after it. They stay saved in this browser.
      </p>
    </div>
  );
}

/** "1 tie", "2 ties". */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
