import { join } from 'node:path';
import { it } from 'vitest';
import { Graph } from '../../src/engine/graph.ts';
import { feedsFor, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { loadModel } from '../../src/engine/models/index.ts';
import { REF_INPUTS, buildPreferenceGraph } from '../../src/engine/objectives/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { ADAMW_DEFAULTS, compileTrainStep } from '../../src/engine/session.ts';
import { FIXTURE_DIR, fixture, fixtureBatch } from '../unit/parity-fixture.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';
it('prof', async () => {
  const gpu = await makeGpuBackend();
  const model = await loadModel(dirFiles(join(FIXTURE_DIR, 'gpt2')));
  const batch = fixtureBatch('joint');
  const P = 3;
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs: P, T: batch.T, objective: 'jpo' });
  const store = new ParamStore(gpu);
  store.addFromGraph(g, (n) => model.weights.get(n) as Float32Array);
  const captured: any[] = [];
  const orig = gpu.compile.bind(gpu);
  (gpu as any).compile = (l: any) => { captured.push(l); return orig(l); };
  const step = compileTrainStep(g, pg.loss, [], gpu, store, {});
  const feeds = sequenceFeeds(batch, [0, 1, 2]);
  feeds[REF_INPUTS.chosen] = Float32Array.from(fixture.ref.joint.sum.slice(0, P));
  feeds[REF_INPUTS.rejected] = Float32Array.from(fixture.ref.joint.sum.slice(P));
  for (let s = 0; s < 6; s++) {
    const t0 = performance.now();
    const p0 = gpu.pipelineCount;
    await step.step(feedsFor(g, feeds), { ...ADAMW_DEFAULTS, lr: 1e-3 });
    if (s === 5) {
      const launches = captured[captured.length - 1];
      const times = new Map<string, number>();
      for (const l of launches) {
        const p = orig([l]);
        p.run(); await gpu.sync();
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) p.run();
        await gpu.sync();
        const key = `${l.op}${l.attrs.fn ? '/' + l.attrs.fn : ''} [${l.output.shape}]`;
        times.set(key, (times.get(key) ?? 0) + (performance.now() - t0) / 5);
      }
      console.log([...times].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(2)} ms ${k}`).join('\n'));
    }
    console.log(`step ${s}: ${(performance.now() - t0).toFixed(0)} ms, new pipelines ${gpu.pipelineCount - p0}, dispatches so far ${gpu.counters.dispatches}`);
  }
});
