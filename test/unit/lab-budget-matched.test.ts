/**
 * Budget-matched arms, the version-2 default (issue 12, item 1), checked on the pipeline's pairing
 * stage with the default spec's plan and a candidate pool of the classroom task (no model needed):
 * - every run makes the same number of judge calls (2 × data.pairing.budget);
 * - DPO's pairs are all conditional; JPO's budget is split by data.pairing.jointShare;
 * - an annotator with position bias > 0 gives inconsistent verdicts, which are dropped and counted;
 *   a noise-free annotator with no position bias gives none;
 * - the pipeline's judge events carry the same counts (what the report and the UI show).
 */
import { describe, expect, it } from 'vitest';
import { bradleyTerryAnnotator } from '../../src/data/judges/annotator.ts';
import { pairForRun } from '../../src/data/run-pairing.ts';
import { flawedAnswers, parseInstruction, referenceAnswer } from '../../src/data/tasks/apples.ts';
import type { Candidate } from '../../src/data/types.ts';
import { Rng } from '../../src/engine/random.ts';
import type { PairingEvent, PipelineEvent } from '../../src/lab/events.ts';
import { pairingKey, pairPerRun } from '../../src/lab/pipeline/pair-per-run.ts';
import { applesTrainInstructions } from '../../src/lab/pipeline/task-data.ts';
import { planExperiment } from '../../src/lab/plan.ts';
import { DEFAULT_SPEC, withDefaults } from '../../src/lab/spec.ts';

/** Four answers per training instruction: the reference answer and three flawed ones (some equal in score). */
function taskPool(nInstructions: number, seed: number): Candidate[] {
  const rng = new Rng(seed);
  return applesTrainInstructions(nInstructions, seed).flatMap((instruction) => {
    const spec = parseInstruction(instruction);
    if (!spec) throw new Error(`not a task instruction: ${instruction}`);
    const flawed = flawedAnswers(spec, rng).slice(0, 3);
    return [referenceAnswer(spec, rng), ...flawed.map((f) => f.response)].map((response) => ({
      instruction,
      response,
    }));
  });
}

const isConditional = (r: { i_chosen: string; i_reject: string }) => r.i_chosen === r.i_reject;

describe('budget-matched arms (the default "per-run" protocol)', () => {
  const spec = withDefaults({});
  const plan = planExperiment(spec);
  const pool = taskPool(spec.data.source === 'task' ? spec.data.nInstructions : 48, 3);

  it('is the version-2 default: per-run pairing with the simulated annotator and equal epochs', () => {
    expect(DEFAULT_SPEC.data.pairing.protocol).toBe('per-run');
    expect(DEFAULT_SPEC.data.pairing.judge).toBe('annotator');
    expect(DEFAULT_SPEC.steps).toBeNull();
    expect(DEFAULT_SPEC.epochs).toBeGreaterThan(0);
    expect(DEFAULT_SPEC.eval.split).toBe('test');
    expect(plan.runs.map((r) => [r.label, r.jointShare])).toEqual([
      ['DPO', 0],
      ['JPO', 0.5],
    ]);
  });

  it('gives every run the same judge calls; DPO spends them on conditional pairs only, JPO half and half', async () => {
    const events: PipelineEvent[] = [];
    const judge = bradleyTerryAnnotator({ ...plan.data.pairing.annotator, seed: 11 });
    const pairings = await pairPerRun({
      data: plan.data,
      candidates: pool,
      runs: plan.runs,
      judge: async () => judge,
      emit: (e) => events.push(e),
    });
    const budget = spec.data.pairing.budget as number;
    const dpo = pairings[pairingKey(plan.runs[0])];
    const jpo = pairings[pairingKey(plan.runs[1])];
    expect(dpo.counts.judgeCalls).toBe(2 * budget);
    expect(jpo.counts.judgeCalls).toBe(2 * budget);
    expect(dpo.counts.judged).toEqual({ conditional: budget, joint: 0 });
    expect(jpo.counts.judged).toEqual({ conditional: budget / 2, joint: budget / 2 });
    expect(dpo.rows.length).toBeGreaterThan(0);
    expect(dpo.rows.every(isConditional)).toBe(true);
    expect(jpo.rows.filter((r) => !isConditional(r)).length).toBe(jpo.counts.pairs.joint);
    for (const c of [dpo.counts, jpo.counts]) {
      for (const kind of ['conditional', 'joint'] as const) {
        const dropped = c.judged[kind] - c.pairs[kind] - c.ties[kind];
        expect(dropped).toBe(c.inconsistentByKind[kind]);
      }
    }
    // The events say the same, per run.
    const pairing = events.filter((e): e is PairingEvent => e.kind === 'pairing');
    expect(pairing.map((e) => [e.run, e.judgeCalls, e.pairs.conditional, e.pairs.joint, e.inconsistent])).toEqual([
      ['DPO', 2 * budget, dpo.counts.pairs.conditional, 0, dpo.counts.inconsistent],
      ['JPO', 2 * budget, jpo.counts.pairs.conditional, jpo.counts.pairs.joint, jpo.counts.inconsistent],
    ]);
    for (const e of pairing) {
      const kept = e.pairs.conditional + e.pairs.joint;
      expect(e.pairsPer100Calls).toBeCloseTo((100 * kept) / e.judgeCalls, 12);
      expect(e.tieRate.conditional).toBeCloseTo(e.ties.conditional / e.judged.conditional, 12);
    }
    expect(pairing[0].tieRate.joint).toBeNull();
  });

  it('drops and counts the inconsistent verdicts of a position-biased annotator; a noise-free one has none', async () => {
    const opts = { judgeCalls: 2 * 96, jointShare: 0.5, seed: 5 };
    const biased = await pairForRun(
      pool,
      bradleyTerryAnnotator({ temperature: 0.05, positionBias: 0.6, tieMargin: 0.02, seed: 1 }),
      opts,
    );
    // Inconsistent: the two orders named different winners (here: "a" both times, or a flip).
    const inconsistent = biased.judged.filter((j) => {
      const first = j.first.winner === 'a' ? 'a' : j.first.winner === 'b' ? 'b' : null;
      const second = j.second.winner === 'a' ? 'b' : j.second.winner === 'b' ? 'a' : null;
      return first !== null && second !== null && first !== second;
    });
    expect(inconsistent.length).toBeGreaterThan(0);
    expect(biased.counts.inconsistent).toBe(inconsistent.length);
    const kept = new Set(biased.rows.map((r) => JSON.stringify([r.i_chosen, r.r_chosen, r.i_reject, r.r_reject])));
    for (const j of inconsistent) {
      expect(kept.has(JSON.stringify([j.a.instruction, j.a.response, j.b.instruction, j.b.response]))).toBe(false);
      expect(kept.has(JSON.stringify([j.b.instruction, j.b.response, j.a.instruction, j.a.response]))).toBe(false);
    }
    const clean = await pairForRun(
      pool,
      bradleyTerryAnnotator({ temperature: 0, positionBias: 0, tieMargin: 0.02, seed: 1 }),
      opts,
    );
    expect(clean.counts.inconsistent).toBe(0);
  });

  it('v1 specs keep the shared pool, the oracle and 60 steps; per-run pairing needs a budget', async () => {
    const { migrateSpec } = await import('../../src/lab/spec/migrate.ts');
    const m = migrateSpec({ version: 1 });
    expect(m.ok && m.spec).toMatchObject({
      data: { pairing: { protocol: 'shared', judge: 'oracle' } },
      steps: 60,
      eval: { split: 'held-out' },
    });
    const { validateSpec } = await import('../../src/lab/spec.ts');
    const bad = validateSpec(withDefaults({ data: { pairing: { budget: null } } }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map((e) => e.path)).toContain('data.pairing.budget');
    if (!bad.ok) expect(bad.errors[0].message).toMatch(/per-run.*set a number/);
  });
});
