/**
 * Objectives vs PyTorch (TRL's definitions, float64): loss and metrics of every objective on the
 * fixture batch, per model, plus gradients w.r.t. every parameter for the objectives the fixture
 * differentiated (full fine-tuning), all on the CPU backend.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBackward } from '../../src/engine/autodiff.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph } from '../../src/engine/graph.ts';
import { feedsFor, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../../src/engine/models/index.ts';
import {
  buildPreferenceGraph,
  hostMetrics,
  OBJECTIVES,
  type ObjectiveName,
  REF_INPUTS,
} from '../../src/engine/objectives/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { FIXTURE_DIR, fixture, fixtureBatch, fixtureGrads, relErr } from './parity-fixture.ts';

const NAMES = Object.keys(OBJECTIVES) as ObjectiveName[];

async function evaluate(model: LoadedModel, name: ObjectiveName, withGrads: boolean) {
  const fx = fixture.objectives[name];
  const batch = fixtureBatch(fx.mode);
  const P = fixture.batch.pairs;
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, {
    pairs: P,
    T: batch.T,
    objective: name,
    params: { beta: fx.params.beta, labelSmoothing: fx.params.label_smoothing, simpoGamma: fx.params.simpo_gamma },
  });
  const metricNames = Object.keys(pg.metrics);
  const params = g.params();
  const grads = withGrads ? buildBackward(g, pg.loss, params) : new Map();
  const gradParams = params.filter((p) => grads.has(p));
  const outputs = [pg.loss, ...metricNames.map((k) => pg.metrics[k])];
  if (pg.rewards) outputs.push(pg.rewards.chosen, pg.rewards.rejected);
  outputs.push(...gradParams.map((p) => grads.get(p)));
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => model.weights.get(n) as Float32Array);
  const feeds = sequenceFeeds(
    batch,
    Array.from({ length: P }, (_, i) => i),
  );
  const kind = pg.spec.logps;
  const ref = fixture.ref[fx.mode][kind];
  feeds[REF_INPUTS.chosen] = Float32Array.from(ref.slice(0, P));
  feeds[REF_INPUTS.rejected] = Float32Array.from(ref.slice(P));
  const out = await compileForward(g, outputs, backend, store).run(feedsFor(g, feeds));
  const scalars = Object.fromEntries(metricNames.map((k, i) => [k, out[1 + i]]));
  const rw = pg.rewards ? { chosen: out[1 + metricNames.length], rejected: out[2 + metricNames.length] } : undefined;
  const gradOut = out.slice(out.length - gradParams.length);
  return {
    loss: out[0][0],
    metrics: hostMetrics(scalars, rw),
    grads: new Map(gradParams.map((p, i) => [p.attrs.name, gradOut[i]])),
  };
}

describe.each(['gpt2', 'llama', 'qwen2'] as const)('%s objectives match PyTorch', (modelName) => {
  const fx = fixture.models[modelName];
  it('losses and metrics of every objective', async () => {
    const model = await loadModel(dirFiles(join(FIXTURE_DIR, fx.dir)));
    for (const name of NAMES) {
      const got = await evaluate(model, name, false);
      const want = fx.losses[name];
      expect(relErr([got.loss], [want.loss]), `${name} loss`).toBeLessThan(1e-4);
      expect(Object.keys(got.metrics).sort(), `${name} metric names`).toEqual(Object.keys(want.metrics).sort());
      for (const [k, v] of Object.entries(want.metrics)) {
        expect(relErr([got.metrics[k]], [v], 1e-6), `${name} ${k}`).toBeLessThan(1e-4);
      }
    }
  });

  for (const [name, path] of Object.entries(fx.grads) as [ObjectiveName, string][]) {
    it(`${name} gradients w.r.t. every parameter`, async () => {
      const model = await loadModel(dirFiles(join(FIXTURE_DIR, fx.dir)));
      const got = await evaluate(model, name, true);
      const want = fixtureGrads(path);
      expect([...got.grads.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [pname, w] of want) {
        expect(relErr(got.grads.get(pname) as Float32Array, w, 1e-8), `${name} d/d ${pname}`).toBeLessThan(1e-3);
      }
    });
  }
});
