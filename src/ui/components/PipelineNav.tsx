/**
 * The lab's steps, Model → Data → Labels → Train → Evaluate: in-page navigation that also shows
 * where the current run is. Links move focus to their section (the URL fragment is left alone: it
 * holds share links).
 */
import type { Stage } from '../../lab/events.ts';
import { useLabelsStore } from '../../state/labels-store.ts';
import { useRunStore } from '../../state/run-store.ts';
import { useSpecStore } from '../../state/spec-store.ts';

export const SECTION_IDS = ['model', 'data', 'labels', 'train', 'evaluate', 'runs', 'backend', 'experiment'] as const;

const STEPS = [
  { name: 'Model', hint: 'a small language model', target: 'model', stages: ['load'] },
  { name: 'Data', hint: 'answers to pair up', target: 'data', stages: ['sft', 'sample'] },
  { name: 'Labels', hint: 'which side is better', target: 'labels', stages: ['judge', 'pair'] },
  { name: 'Train', hint: 'DPO and JPO side by side', target: 'train', stages: ['reference', 'train'] },
  { name: 'Evaluate', hint: 'win rates and samples', target: 'evaluate', stages: ['evaluate'] },
] as const satisfies readonly { name: string; hint: string; target: string; stages: readonly Stage[] }[];

const ORDER: Stage[] = ['load', 'sft', 'sample', 'judge', 'pair', 'reference', 'train', 'evaluate', 'done'];

export function goToSection(id: string): void {
  const el = document.getElementById(id);
  if (!el) return;
  el.scrollIntoView({ behavior: 'smooth', block: 'start' });
  const focusable = el.matches('section, fieldset') ? el : el.closest('section');
  const target = (focusable as HTMLElement | null) ?? el;
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: true });
}

export function PipelineNav() {
  const stage = useRunStore((s) => s.session?.stage ?? null);
  const active = useRunStore((s) => s.session?.origin === 'live' && s.session.status === 'running');
  // The Labels step is a person's labels: done when some usable ones were given, not merely
  // because a run went past its automatic judging.
  const labelled = useLabelsStore((s) => s.labels.some((l) => l.winner === 'a' || l.winner === 'b'));
  // A locked lesson has no Labels section (App.tsx): no step may point at it.
  const labelsShown = useSpecStore((s) => !(s.view.readonly || s.view.hide.includes('edits')));
  const at = stage ? ORDER.indexOf(stage) : -1;
  const steps = STEPS.filter((step) => step.name !== 'Labels' || labelsShown);
  return (
    <nav className="pipeline" aria-label="Lab pipeline">
      <ol className="page pipeline-steps">
        {steps.map((step, i) => {
          const first = ORDER.indexOf(step.stages[0]);
          const last = ORDER.indexOf(step.stages[step.stages.length - 1]);
          const current = at >= first && at <= last;
          const done = step.name === 'Labels' ? labelled && !current : at > last;
          const state = current ? 'current' : done ? 'done' : 'todo';
          return (
            <li key={step.name} className={`pipeline-step step-${state}${current && active ? ' step-live' : ''}`}>
              <a
                href={`#${step.target}`}
                className="step-link"
                aria-current={current ? 'step' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  goToSection(step.target);
                }}
              >
                <span className="step-index" aria-hidden="true">
                  {done ? '✓' : i + 1}
                </span>
                <span className="step-text">
                  <span className="step-name">{step.name}</span>
                  <span className="step-hint">{step.hint}</span>
                </span>
                {done && <span className="visually-hidden"> (done)</span>}
              </a>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
