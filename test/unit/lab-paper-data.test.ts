/**
 * "Paper data" in the lab: the draft switched to the JPO paper's bundled Anthropic-helpful files,
 * run through the pipeline as the lab's worker runs it (createResolvers-style bundled reads, here
 * from public/data/paper): the file's conditional comparisons are used as given, joint pairs are
 * built from its SFT rows and judged by the person (a scripted stand-in here), and evaluation asks
 * about the bundled test file's questions against their gold answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Judge } from '../../src/data/judges/types.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { runExperiment } from '../../src/lab/pipeline/index.ts';
import { planExperiment } from '../../src/lab/plan.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { validateSpec, withDefaults } from '../../src/lab/spec.ts';
import { withPaperData } from '../../src/ui/lib/paper-data.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const lines = (f: string) =>
  readFileSync(join(ROOT, 'public/data/paper', f), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

/** A stand-in for the person: the longer answer wins, equal lengths tie. */
const byLength: Judge = {
  name: 'person (scripted)',
  async compare(a, b) {
    const d = a.response.length - b.response.length;
    return { winner: d > 0 ? 'a' : d < 0 ? 'b' : 'tie', reason: 'longer' };
  },
};

describe('Paper data in the lab', () => {
  it('is a valid spec: paper files for training, the paper test file for evaluation, a person judging', () => {
    const spec = withPaperData(withDefaults({}));
    const checked = validateSpec(spec);
    expect(checked.ok, JSON.stringify(!checked.ok && checked.errors)).toBe(true);
    expect(spec.data).toMatchObject({ source: 'paper', dataset: 'anthropic_helpful' });
    expect(spec.eval).toMatchObject({ judge: 'human', compareAgainst: 'gold', test: { source: 'paper' } });
    // Left out, eval.test still comes from the paper data.
    const { test: _test, ...evalWithoutTest } = spec.eval;
    const plan = planExperiment({ ...spec, eval: evalWithoutTest });
    expect(plan.eval.test).toEqual({ source: 'paper', dataset: 'anthropic_helpful' });
  });

  it('trains DPO and JPO on the bundled files and evaluates on the bundled test questions', {
    timeout: 120_000,
  }, async () => {
    const spec = withPaperData(
      withDefaults({
        seed: 2,
        steps: 2,
        epochs: null,
        batchSize: 2,
        schedule: { warmupSteps: 1 },
        eval: { nTest: 3, maxNewTokens: 4 },
        backend: 'cpu',
      }),
    );
    spec.data.pairing.budget = 4;
    // Short sequences keep the 400 reference log-probs per mode quick on the CPU.
    Object.assign(spec.data, { maxLength: 24, maxPromptLength: 12 });
    const result = await runExperiment(spec, {
      backend: new CpuBackend(),
      resolvers: await nodeResolvers({ root: ROOT }),
      samples: 0,
      judges: { human: byLength, humanEval: byLength },
    });
    const prefs = lines('anthropic_helpful/val_conditional_pref.jsonl');
    const [dpo, jpo] = result.runs;
    expect(result.runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(dpo.pairCount).toBe(prefs.length);
    expect(jpo.pairCount).toBeGreaterThan(prefs.length);
    const test = lines('anthropic_helpful/test.jsonl');
    for (const run of result.runs) {
      expect(run.eval).toMatchObject({ baseline: 'gold', winRate: { n: 3 } });
      expect(run.evalItems.map((x) => x.instruction)).toEqual(test.slice(0, 3).map((r) => r.instruction));
      expect(run.evalItems.map((x) => x.baseline)).toEqual(test.slice(0, 3).map((r) => r.gold_response));
    }
  });
});
