/**
 * The token-by-token margin view's numbers (src/lab/token-margins.ts via the pipeline's training
 * snapshots, src/lab/token-margins-keeper.ts), after a small DPO + JPO run on the bundled model:
 * - a side's contributions sum to its implicit reward β·(log πθ(side) − log πref(side)), with the
 *   sequence log-probs computed independently (SequenceScorer.score on the training encoding);
 * - the same conditional pair: DPO's prompt tokens are masked and contribute exactly 0, JPO's
 *   (joint log-probs) are not masked and contribute non-zero amounts after training;
 * - step 0 is the reference itself: every contribution is 0; snapshots cover 0..last step;
 * - keeping snapshots changes no logged number or trained weight; runs resumed from checkpoints
 *   (one already finished, one mid-run) show the same numbers as uninterrupted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePair } from '../../src/data/sequence.ts';
import { CpuBackend, padRows, SequenceScorer } from '../../src/engine/index.ts';
import { type ExperimentResult, MemoryCheckpointStore, runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { type ExperimentSpec, withDefaults } from '../../src/lab/spec.ts';
import { TokenMarginsKeeper } from '../../src/lab/token-margins-keeper.ts';
import { ROOT, smallSpec } from './small-experiment.ts';

const SPEC: ExperimentSpec = withDefaults(
  smallSpec({ name: 'token margins test', seed: 3, steps: 6, eval: { nTest: 1, maxNewTokens: 4 }, backend: 'cpu' }),
);

const backend = new CpuBackend();
const keeper = new TokenMarginsKeeper();
const encodingOf = () => must(keeper.context).encoding;
const lora = () => must(keeper.context).lora ?? undefined;
const snapshotOf = (run: string, step: number) => must(keeper.snapshot(run, step));

function must<T>(v: T | null | undefined): T {
  if (v === null || v === undefined) throw new Error('missing');
  return v;
}

let withSnapshots: ExperimentResult;
let without: ExperimentResult;

beforeAll(async () => {
  const resolvers = await nodeResolvers({ root: ROOT });
  withSnapshots = await runExperiment(SPEC, { backend, resolvers, snapshots: keeper });
  without = await runExperiment(SPEC, { backend, resolvers });
  expect(withSnapshots.status).toBe('completed');
}, 180_000);

describe('token margins', () => {
  it('keeps snapshots from step 0 to the last step for every run, without changing training', () => {
    expect(keeper.runs()).toEqual(['DPO', 'JPO']);
    const losses = (r: ExperimentResult) => r.runs.map((run) => run.metrics.map((m) => [m.loss, m.metrics]));
    expect(losses(withSnapshots)).toEqual(losses(without));
    for (const [k, run] of withSnapshots.runs.entries()) {
      expect(run.trained).toEqual(without.runs[k].trained);
      // The last snapshot is the trained params; step 0 the initial ones every run starts from.
      expect(keeper.snapshot(run.label, run.steps)).toEqual(run.trained);
      expect(keeper.snapshot(run.label, 0)).toEqual(keeper.snapshot('DPO', 0));
    }
  });

  it('sums each side to β·(log πθ − log πref) of the training encoding, DPO masking the prompt and JPO not', async () => {
    const resolved = await (await nodeResolvers({ root: ROOT })).model(SPEC.model, {});
    const tok = resolved.tokenizer;
    const dpo = await keeper.margins('DPO', 0, null, backend);
    expect(dpo.steps[0]).toBe(0);
    expect(dpo.steps.at(-1)).toBe(6);
    expect(dpo.step).toBe(6);
    expect(dpo.pair.i_chosen).toBe(dpo.pair.i_reject);
    const jpo = await keeper.margins('JPO', 0, null, backend, 'DPO');
    expect(jpo.pair).toEqual(dpo.pair);
    // The pairs offered: the first (and last) few of each kind, by their index in the run's training pairs.
    const own = await keeper.margins('JPO', 0, null, backend);
    const jointIndex = keeper.pairs('JPO').findIndex((p) => p.i_chosen !== p.i_reject);
    expect(jointIndex).toBeGreaterThan(0);
    expect(own.pairOptions.filter((o) => o.kind === 'joint')[0]?.index).toBe(jointIndex);
    expect(
      own.pairOptions
        .filter((o) => o.kind === 'conditional')
        .map((o) => o.index)
        .slice(0, 4),
    ).toEqual([0, 1, 2, 3]);

    for (const answer of [dpo, jpo]) {
      const mode = answer.run === 'DPO' ? 'conditional' : 'joint';
      expect(answer.mode).toBe(mode);
      const p = answer.pair;
      const enc = (i: string, r: string, other: string) =>
        encodePair(tok, i, r, { mode, ...encodingOf(), pairedResponse: other });
      const rows = [enc(p.i_chosen, p.r_chosen, p.r_reject), enc(p.i_reject, p.r_reject, p.r_chosen)];
      const batch = padRows(rows, tok.padId, Math.max(...rows.map((r) => r.ids.length)));
      const sums = async (step: number) => {
        const snapshot = snapshotOf(answer.run, step);
        const scorer = new SequenceScorer(
          resolved.model,
          new Map([...resolved.model.weights, ...snapshot]),
          backend,
          lora(),
        );
        const { sum } = await scorer.score(batch);
        scorer.dispose();
        return sum;
      };
      const [policy, reference] = [await sums(answer.step), await sums(0)];
      const sides = [answer.margins.chosen, answer.margins.rejected];
      for (const [b, side] of sides.entries()) {
        expect(side.tokens.map((t) => t.id)).toEqual(rows[b].ids);
        const expected = answer.beta * (policy[b] - reference[b]);
        expect(Math.abs(expected)).toBeGreaterThan(1e-3);
        expect(side.reward).toBeCloseTo(expected, 4);
        const prompt = side.tokens.filter((t) => t.part === 'prompt');
        expect(prompt.length).toBeGreaterThan(0);
        if (mode === 'conditional') {
          for (const t of prompt) expect([t.masked, Object.is(t.contribution, 0)]).toEqual([true, true]);
        } else {
          expect(prompt.every((t) => !t.masked)).toBe(true);
          expect(Math.max(...prompt.map((t) => Math.abs(t.contribution)))).toBeGreaterThan(1e-4);
        }
        expect(side.tokens.filter((t) => t.part === 'response').every((t) => !t.masked)).toBe(true);
      }
      expect(answer.margins.margin).toBeCloseTo(answer.margins.chosen.reward - answer.margins.rejected.reward, 6);
    }
  });

  it('shows all zeros at step 0 (the policy is the reference)', async () => {
    const jpo = await keeper.margins('JPO', 0, 0, backend);
    for (const side of [jpo.margins.chosen, jpo.margins.rejected]) {
      for (const t of side.tokens) expect(t.contribution).toBe(0);
    }
  });

  it('shows runs resumed from checkpoints (finished: step 0 and the last kept) with the same numbers', async () => {
    const resolvers = await nodeResolvers({ root: ROOT });
    const store = new MemoryCheckpointStore();
    const abort = new AbortController();
    const first = await runExperiment(SPEC, { backend, resolvers, checkpoints: store, signal: abort.signal }, (e) => {
      if (e.kind === 'metrics' && e.run === 'JPO' && e.step === 2) abort.abort();
    });
    expect(first.status).toBe('cancelled');
    const resumed = new TokenMarginsKeeper();
    await runExperiment(SPEC, { backend, resolvers, checkpoints: store, snapshots: resumed });
    // DPO finished before the cut: its step 0 (the reset) and its last; JPO continues from step 2.
    for (const [run, steps] of [
      ['DPO', [0, 6]],
      ['JPO', [0, 3, 4, 5, 6]],
    ] as const) {
      const [again, before] = [
        await resumed.margins(run, 1, null, backend),
        await keeper.margins(run, 1, null, backend),
      ];
      expect(again.steps).toEqual(steps);
      expect(again.margins).toEqual(before.margins);
    }
  });

  it('names what is wrong for a missing run, pair or step', async () => {
    await expect(keeper.margins('IPO', 0, null, backend)).rejects.toThrow(/no run "IPO".*DPO, JPO/);
    await expect(keeper.margins('DPO', 999, null, backend)).rejects.toThrow(/pair 999 of run "DPO" does not exist/);
    await expect(keeper.margins('DPO', 0, 99, backend)).rejects.toThrow(
      /no snapshot at step 99; steps kept: 0, 1, 2, 3, 4, 5, 6$/,
    );
  });
});
