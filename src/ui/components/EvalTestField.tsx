/**
 * Evaluation's test items: the task's held-out questions or one of the paper's bundled test files
 * (eval.test). Mount it in the Evaluate section (EvalSection in FormSections.tsx), inside the
 * SpecFormContext, e.g. before `eval.nTest`.
 */
import { EVAL_TEST_CHOICES, type EvalTestChoice, evalTestChoice, setEvalTest } from '../lib/eval-test.ts';
import { useSpecForm } from './fields.tsx';

export function EvalTestField() {
  const { spec, edit } = useSpecForm();
  const current = evalTestChoice(spec);
  return (
    <label className="field" data-path="eval.test">
      <span className="field-label">Test questions</span>
      <select
        className="input"
        data-testid="eval-test"
        value={current ?? ''}
        onChange={(e) => edit((d) => setEvalTest(d, e.target.value as EvalTestChoice))}
      >
        {current === null && <option value="">a test file (set in the spec file)</option>}
        {EVAL_TEST_CHOICES.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
      <span className="field-hint">
        the paper’s test files come with gold answers; no exact checker knows them, so a person judges
      </span>
    </label>
  );
}
