/**
 * The resolved plan (src/lab/plan.ts): what each stage gets from the spec, and the fingerprints that
 * decide which saved work fits. A run's fingerprint depends on that run and the shared settings
 * only, so removing or fixing one run keeps every other run's checkpoints usable.
 */
import { describe, expect, it } from 'vitest';
import { planExperiment, specFingerprint } from '../../src/lab/plan.ts';
import { type ExperimentSpec, lossParamsOf, withDefaults } from '../../src/lab/spec.ts';

const SPEC: ExperimentSpec = withDefaults({
  seed: 11,
  runs: [
    { label: 'DPO', objective: 'dpo', pairs: 'conditional', beta: 0.2 },
    { label: 'JPO', objective: 'jpo', pairs: 'both' },
    { label: 'ORPO', objective: 'orpo', pairs: 'conditional', orpoLambda: 0.3 },
  ],
  optimizer: { maxGradNorm: null },
});

const fingerprintOf = (spec: ExperimentSpec, label: string) =>
  planExperiment(spec).runs.find((r) => r.label === label)?.fingerprint;

describe('planExperiment', () => {
  it('resolves each run loss parameters, the optimizer and the decoding once', () => {
    const plan = planExperiment(SPEC);
    expect(plan.runs.map((r) => [r.label, r.index, r.mode, r.usesReference, r.loss.beta])).toEqual([
      ['DPO', 0, 'conditional', true, 0.2],
      ['JPO', 1, 'joint', true, lossParamsOf(SPEC.runs[1]).beta],
      // ORPO's β is the spec's λ.
      ['ORPO', 2, 'conditional', false, 0.3],
    ]);
    expect(plan.training.optimizer.maxGradNorm).toBe(0);
    expect(plan.training.lr).toBe(SPEC.optimizer.lr);
    expect(plan.eval.decoding.maxNewTokens).toBe(SPEC.eval.maxNewTokens);
    // Candidates are sampled at temperature 1, the evaluation decodes per spec.eval.
    expect(plan.data.candidates.temperature).toBe(1);
    expect(plan.eval.decoding.temperature).toBe(SPEC.eval.temperature);
    expect(plan.data.candidates.seed).not.toBe(plan.eval.decoding.seed);
  });

  it("keeps a run's fingerprint when another run is removed or changed, not when shared settings change", () => {
    const dpo = fingerprintOf(SPEC, 'DPO');
    const withoutJpo = { ...SPEC, runs: SPEC.runs.filter((r) => r.label !== 'JPO') };
    const jpoFixed = { ...SPEC, runs: SPEC.runs.map((r) => (r.label === 'JPO' ? { ...r, beta: 0.01 } : r)) };
    const reordered = { ...SPEC, runs: [...SPEC.runs].reverse() };
    expect(fingerprintOf(withoutJpo, 'DPO')).toBe(dpo);
    expect(fingerprintOf(jpoFixed, 'DPO')).toBe(dpo);
    expect(fingerprintOf(reordered, 'DPO')).toBe(dpo);
    expect(fingerprintOf(jpoFixed, 'JPO')).not.toBe(fingerprintOf(SPEC, 'JPO'));
    expect(planExperiment(withoutJpo).fingerprints.shared).toBe(planExperiment(SPEC).fingerprints.shared);
    // Shared settings change every run (and the experiment).
    const lr = { ...SPEC, optimizer: { ...SPEC.optimizer, lr: SPEC.optimizer.lr / 2 } };
    expect(fingerprintOf(lr, 'DPO')).not.toBe(dpo);
    expect(specFingerprint(lr)).not.toBe(specFingerprint(SPEC));
    // The name and evaluation settings change no training.
    const renamed = { ...SPEC, name: 'other', eval: { ...SPEC.eval, nTest: 3 } };
    expect(fingerprintOf(renamed, 'DPO')).toBe(dpo);
    expect(specFingerprint(renamed)).toBe(specFingerprint(SPEC));
    // The candidates' length does change the labelled pairs.
    const longer = { ...SPEC, eval: { ...SPEC.eval, maxNewTokens: SPEC.eval.maxNewTokens + 1 } };
    expect(planExperiment(longer).fingerprints.shared).not.toBe(planExperiment(SPEC).fingerprints.shared);
  });
});
