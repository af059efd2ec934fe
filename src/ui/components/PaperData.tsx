/**
 * "Paper data": one click puts the JPO paper's own (bundled, offline) Anthropic-helpful files into
 * the experiment: its comparisons, its SFT rows for joint pairs, and its test file for evaluation.
 * Mount it next to DataUpload (the Data step of the form).
 */
import { validateSpec } from '../../lab/spec.ts';
import { useSpecStore } from '../../state/spec-store.ts';
import { paperDataFiles, withPaperData } from '../lib/paper-data.ts';

export function PaperData() {
  const locked = useSpecStore((s) => s.view.readonly || s.view.hide.includes('data'));
  const draft = useSpecStore((s) => s.draft);
  const setDraft = useSpecStore((s) => s.setDraft);
  if (locked) return null;
  const files = paperDataFiles('anthropic_helpful');
  const inUse = draft.data.source === 'paper';
  const next = withPaperData(draft);
  const checked = validateSpec(next);
  return (
    <section className="card paper-data" aria-labelledby="paper-data-title" data-testid="paper-data">
      <h2 id="paper-data-title">Paper data</h2>
      <p className="muted">
        The JPO paper’s own {files.label} data, bundled with the lab (its first rows; MIT License): comparisons of two
        answers to one instruction, answers to build joint pairs from, and test questions with gold answers. You judge
        the joint pairs and the test answers yourself.
      </p>
      <ul className="muted">
        {files.train.map((f) => (
          <li key={f}>
            <code>{f}</code>
          </li>
        ))}
        <li>
          <code>{files.test}</code> (evaluation)
        </li>
      </ul>
      {checked.ok ? (
        <button
          type="button"
          data-testid="use-paper-data"
          disabled={inUse}
          onClick={() => checked.ok && setDraft(checked.spec, 'data: paper data')}
        >
          {inUse ? 'Using the paper data' : 'Use the paper data'}
        </button>
      ) : (
        <p role="alert">{checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}</p>
      )}
    </section>
  );
}
