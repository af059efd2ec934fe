/**
 * Lessons that show their effect (issue 12, item 6): each lesson's stated prediction, checked by
 * running its shipped spec (src/ui/lib/presets.ts) through the pipeline on the CPU backend.
 * - β too low / β too high: the two β lessons share everything but their runs, so one experiment
 *   with their three runs (β 0.01, 0.1, 5) checks both: logps/chosen and logps/rejected drift further
 *   from their first-step values with β 0.01 than with β 0.1, and less with β 5. Evaluation is
 *   switched off here (it does not change training: eval settings are outside the runs' fingerprints).
 * - joint vs conditional: at the same judge budget, "JPO joint" keeps more labelled pairs than DPO
 *   (the pipeline is stopped once the pairs are judged; no training needed).
 * Drift: mean of the last five logged steps minus the first step's value.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { PairingEvent } from '../../src/lab/events.ts';
import { runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { type ExperimentSpec, validateSpec } from '../../src/lab/spec.ts';
import { LESSONS, lessonById } from '../../src/ui/lib/presets.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

function lessonSpec(id: string): ExperimentSpec {
  const lesson = lessonById(id);
  if (!lesson) throw new Error(`no lesson ${id}`);
  expect(lesson.prediction.length).toBeGreaterThan(20);
  return structuredClone(lesson.spec);
}

describe('lessons show the effect they predict, with their shipped settings', () => {
  it('every lesson states a prediction and judges enough held-out test questions for a useful interval', () => {
    for (const lesson of LESSONS) {
      expect(lesson.prediction.length, lesson.id).toBeGreaterThan(20);
      expect(lesson.spec.eval.nTest, lesson.id).toBeGreaterThanOrEqual(64);
      expect(lesson.spec.eval.split, lesson.id).toBe('test');
    }
  });

  it('β too low drifts the log-probabilities further than β 0.1, β too high less', { timeout: 240_000 }, async () => {
    const low = lessonSpec('beta-too-low');
    const high = lessonSpec('beta-too-high');
    // The same experiment but for the runs: one run of both lessons' runs is each lesson's runs.
    expect({ ...low, runs: [], name: '' }).toEqual({ ...high, runs: [], name: '' });
    const runs = [...low.runs, ...high.runs.filter((r) => !low.runs.some((x) => x.label === r.label))];
    expect(runs.map((r) => r.label)).toEqual(['β 0.01', 'β 0.1', 'β 5']);
    const checked = validateSpec({ ...low, runs, eval: { ...low.eval, nTest: 0 } });
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    const result = await runExperiment(checked.spec, {
      backend: new CpuBackend(),
      resolvers: await nodeResolvers({ root: ROOT }),
      samples: 0,
    });
    const drift = (label: string, metric: string) => {
      const m = result.runs.find((r) => r.label === label)?.metrics ?? [];
      expect(m.length).toBe(low.steps);
      const last = m.slice(-5).reduce((s, x) => s + x.metrics[metric], 0) / 5;
      return Math.abs(last - m[0].metrics[metric]);
    };
    for (const metric of ['logps/chosen', 'logps/rejected']) {
      expect(drift('β 0.01', metric), metric).toBeGreaterThan(drift('β 0.1', metric));
      expect(drift('β 5', metric), metric).toBeLessThan(drift('β 0.1', metric));
    }
  });

  it('joint vs conditional: at the same judge budget, JPO on the mix keeps more pairs than DPO', async () => {
    const spec = lessonSpec('joint-vs-conditional');
    expect(spec.data.pairing.protocol).toBe('per-run');
    const abort = new AbortController();
    const events: PairingEvent[] = [];
    const result = await runExperiment(
      spec,
      { backend: new CpuBackend(), resolvers: await nodeResolvers({ root: ROOT }), signal: abort.signal, samples: 0 },
      (e) => {
        if (e.kind !== 'pairing') return;
        events.push(e);
        if (events.length === spec.runs.length) abort.abort(); // judged: no need to train
      },
    );
    expect(result.status).toBe('cancelled');
    const of = (label: string) => events.find((e) => e.run === label) as PairingEvent;
    const joint = of('JPO joint');
    const dpo = of('DPO');
    expect(joint.judgeCalls).toBe(dpo.judgeCalls);
    expect(joint.pairs.conditional + joint.pairs.joint).toBeGreaterThan(dpo.pairs.conditional + dpo.pairs.joint);
    expect(joint.tieRate.joint as number).toBeLessThan(dpo.tieRate.conditional as number);
  });
});
