/**
 * The Evaluate section's test-item choice: the task or one of the paper's bundled test files, as a
 * valid spec each time (a file's answers have no exact checker, so the oracle gives way to a person).
 */
import { describe, expect, it } from 'vitest';
import { planExperiment } from '../../src/lab/plan.ts';
import { validateSpec, withDefaults } from '../../src/lab/spec.ts';
import { evalTestChoice, setEvalTest } from '../../src/ui/lib/eval-test.ts';
import { withPaperData } from '../../src/ui/lib/paper-data.ts';

describe('eval test choice', () => {
  it('switches between the task and the paper test files, keeping the spec valid', () => {
    const spec = withDefaults({});
    expect(evalTestChoice(spec)).toBe('task');
    setEvalTest(spec, 'tldr');
    const checked = validateSpec(spec);
    expect(checked.ok, JSON.stringify(!checked.ok && checked.errors)).toBe(true);
    expect(spec.eval.test).toEqual({ source: 'paper', dataset: 'tldr' });
    expect(spec.eval.judge).toBe('human');
    expect(planExperiment(spec).eval.test).toEqual({ source: 'paper', dataset: 'tldr' });
    setEvalTest(spec, 'task');
    expect(evalTestChoice(spec)).toBe('task');
    expect(validateSpec(spec).ok).toBe(true);
  });

  it('reads the paper data as evaluating on its own test file', () => {
    const spec = withPaperData(withDefaults({}));
    delete spec.eval.test;
    expect(evalTestChoice(spec)).toBe('anthropic_helpful');
  });
});
