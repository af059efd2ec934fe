/**
 * The small experiment the f16-weights parity tests train (unit: CPU emulation vs f32; gpu: real
 * f16 kernels vs the CPU emulation): DPO vs JPO for 6 steps on orchard-tiny, on 8 inline pairs (4
 * conditional, 4 joint). Inline pairs keep the data independent of the policy: the classroom task
 * samples its candidates from the policy, and f16 weights change some sampled tokens.
 */
import type { Backend, Precision } from '../../src/engine/index.ts';
import type { PipelineEvent } from '../../src/lab/events.ts';
import { runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { type ExperimentSpec, withDefaults } from '../../src/lab/spec.ts';
import { ROOT, smallSpec } from './small-experiment.ts';

export function f16ParitySpec(precision: Precision): ExperimentSpec {
  const apples = ['Fuji', 'Gala', 'Braeburn', 'Honeycrisp', 'Granny Smith', 'Pink Lady'];
  const list = (n: number, from: number) => apples.slice(from, from + n).join(', ');
  const rows = Array.from({ length: 8 }, (_, i) => {
    const n = 1 + (i % 3);
    const joint = i % 2 === 1;
    const instruction = `List ${n} apple${n > 1 ? 's' : ''}.`;
    return {
      i_chosen: instruction,
      r_chosen: list(n, i % 3),
      i_reject: joint ? `List ${n + 1} apples.` : instruction,
      r_reject: joint ? list(n + 2, 0) : list(n + 1, 1),
    };
  });
  return withDefaults(
    smallSpec({
      name: 'f16 parity',
      seed: 5,
      steps: 6,
      backend: 'cpu',
      precision,
      model: { source: 'bundled', id: 'orchard-tiny' },
      data: { source: 'file', format: 'jpo', rows, maxLength: 48, maxPromptLength: 24 },
      eval: { nTest: 0 },
    }),
  );
}

/** Trains the parity experiment on `backend`: each run's losses, its pair counts and the events. */
export async function trainParity(precision: Precision, backend: Backend) {
  const events: PipelineEvent[] = [];
  const resolvers = await nodeResolvers({ root: ROOT });
  const result = await runExperiment(f16ParitySpec(precision), { backend, resolvers, samples: 0 }, (e) =>
    events.push(e),
  );
  if (result.status !== 'completed') throw new Error(`parity experiment ${result.status}`);
  return {
    losses: result.runs.map((r) => r.metrics.map((m) => m.loss)),
    pairs: result.runs.map((r) => [r.pairCount, r.pairKinds]),
    logs: events.flatMap((e) => (e.kind === 'log' ? [e.message] : [])).join('\n'),
  };
}

/** The largest |a − b| over matching entries of two lists of loss curves. */
export function maxLossGap(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  let worst = 0;
  for (const [k, losses] of a.entries()) {
    for (const [i, loss] of losses.entries()) worst = Math.max(worst, Math.abs(loss - b[k][i]));
  }
  return worst;
}
