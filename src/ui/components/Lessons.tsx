/**
 * Teacher mode. Lessons are ready-made experiments with a question and what to look for; a teacher
 * link (?lesson=ID&hide=...&readonly=1) opens one with the other controls hidden.
 */
import { useState } from 'react';
import { useSpecStore } from '../../state/spec-store.ts';
import { LESSONS, type Lesson, lessonById } from '../lib/presets.ts';
import { replaceExperiment } from '../lib/replace-experiment.ts';

export function LessonBanner() {
  const lessonId = useSpecStore((s) => s.view.lesson);
  const lesson = lessonById(lessonId);
  if (!lesson) return null;
  return (
    <section className="card lesson-banner" aria-labelledby="lesson-title" data-testid="lesson-banner">
      <p className="eyebrow">Lesson</p>
      <h2 id="lesson-title">{lesson.title}</h2>
      <p className="lesson-question">{lesson.question}</p>
      <p>
        <strong>Look for:</strong> {lesson.lookFor}
      </p>
    </section>
  );
}

export function LessonsCard() {
  const view = useSpecStore((s) => s.view);
  const setView = useSpecStore((s) => s.setView);
  if (view.readonly) return null;
  const open = (l: Lesson) => {
    replaceExperiment(l.spec, `lesson: ${l.title}`, 'lesson');
    setView({ ...view, lesson: l.id });
  };
  return (
    <details className="card lessons" data-testid="lessons">
      <summary>
        <h2>Lessons for teachers</h2>
        <span className="muted">ready-made experiments with a question to answer</span>
      </summary>
      <ul className="lesson-list">
        {LESSONS.map((l) => (
          <li key={l.id} className="lesson">
            <div>
              <strong>{l.title}</strong>
              <p className="muted">{l.description}</p>
            </div>
            <div className="lesson-actions">
              <button type="button" className="button button-small" onClick={() => open(l)}>
                Open
              </button>
              <TeacherLink lesson={l} />
            </div>
          </li>
        ))}
      </ul>
    </details>
  );
}

function TeacherLink({ lesson }: { lesson: Lesson }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const url = `${location.origin}${location.pathname}?lesson=${lesson.id}&hide=${lesson.hide.join(',')}&readonly=1`;
  return (
    <button
      type="button"
      className="button button-small button-quiet"
      title={url}
      onClick={() =>
        navigator.clipboard.writeText(url).then(
          () => setState('copied'),
          () => setState('failed'),
        )
      }
    >
      {state === 'copied' ? 'Link copied' : state === 'failed' ? 'Copy failed' : 'Copy student link'}
    </button>
  );
}
