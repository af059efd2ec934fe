/**
 * `trainingBatches` lists the exact pairs each run trains on, batch by batch (what `orchard export
 * torch` feeds PyTorch). Checked against the training itself, independently of the data-order code:
 * at a learning rate of 1e-9 the policy stays the initial model, so each step's logged
 * `logps/chosen` (the mean summed log-prob of the step's chosen responses) must equal the mean, over
 * the pairs the list names for that step, of the initial model's log-probs scored here by the
 * engine's scorer. A shifted or reordered list gives other means (the test checks the steps differ).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePair } from '../../src/data/sequence.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { computeReferenceTable } from '../../src/engine/reference.ts';
import { type ExperimentResult, runExperiment, trainingBatches } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { type ExperimentSpec, withDefaults } from '../../src/lab/spec.ts';

const ROOT = join(import.meta.dirname, '..', '..');

const SPEC: ExperimentSpec = withDefaults({
  name: 'batches test',
  seed: 3,
  // One shared labelled pool (the "shared" protocol): the fairness rule is about runs sharing it.
  data: { nInstructions: 8, candidatesPerInstruction: 3, pairing: { budget: 24, protocol: 'shared' } },
  steps: 7,
  batchSize: 3,
  gradAccumulation: 2,
  optimizer: { lr: 1e-9 },
  schedule: { warmupSteps: 0 },
  eval: { nTest: 0, maxNewTokens: 16 },
  backend: 'cpu',
});

let result: ExperimentResult;
/** The initial model's summed log-prob of each pool pair's chosen side, per mask mode. */
const initialLogps = new Map<string, Float32Array>();

beforeAll(async () => {
  const resolvers = await nodeResolvers({ root: ROOT });
  const backend = new CpuBackend();
  result = await runExperiment(SPEC, { backend, resolvers, samples: 0 });
  const { model, tokenizer } = await resolvers.model(SPEC.model);
  const rows = result.data?.rows ?? [];
  for (const mode of ['conditional', 'joint'] as const) {
    const enc = (i: string, r: string) => encodePair(tokenizer, i, r, { mode, ...SPEC.data });
    const table = await computeReferenceTable(
      { kind: 'model', model },
      { model, weights: model.weights },
      { chosen: rows.map((p) => enc(p.i_chosen, p.r_chosen)), rejected: rows.map((p) => enc(p.i_reject, p.r_reject)) },
      { backend, padId: tokenizer.padId },
    );
    initialLogps.set(mode, table?.chosen.sum as Float32Array);
  }
}, 300_000);

describe('trainingBatches', () => {
  it('names the pairs every step of every run trained on, in order', () => {
    const data = result.data as NonNullable<ExperimentResult['data']>;
    for (const run of result.plan.runs) {
      const batches = trainingBatches(data, run, result.plan.training);
      const trained = result.runs.find((r) => r.label === run.label)?.metrics ?? [];
      expect(trained.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(batches.map((b) => `${b.step}.${b.micro}`)).toEqual(
        trained.flatMap((m) => [`${m.step}.0`, `${m.step}.1`]),
      );
      const logps = initialLogps.get(run.mode) as Float32Array;
      const means: number[] = [];
      for (const m of trained) {
        const pool = batches.filter((b) => b.step === m.step).flatMap((b) => b.poolIndex);
        expect(pool).toHaveLength(2 * 3);
        for (const p of pool) expect(run.pairs === 'both' || data.kinds[p] === run.pairs).toBe(true);
        const mean = pool.reduce((s, p) => s + logps[p], 0) / pool.length;
        means.push(mean);
        expect(Math.abs(m.metrics['logps/chosen'] - mean), `${run.label} step ${m.step}`).toBeLessThan(
          1e-3 * Math.max(1, Math.abs(mean)),
        );
      }
      // The check can tell batches apart: the steps' means are not all the same.
      expect(new Set(means.map((x) => x.toFixed(3))).size).toBeGreaterThan(3);
      // The rows are the pool's rows at those positions.
      for (const b of batches) expect(b.rows).toEqual(b.poolIndex.map((p) => data.rows[p]));
    }
  });

  it('puts the conditional pairs in the same order for DPO and JPO (the fairness rule)', () => {
    const data = result.data as NonNullable<ExperimentResult['data']>;
    const [dpo, jpo] = result.plan.runs.map((run) => trainingBatches(data, run, result.plan.training));
    const firstEpoch = (bs: typeof dpo) => [...new Set(bs.flatMap((b) => b.poolIndex))];
    const conditionalInJpo = firstEpoch(jpo).filter((p) => data.kinds[p] === 'conditional');
    expect(firstEpoch(dpo).slice(0, conditionalInJpo.length)).toEqual(conditionalInJpo);
  });
});
