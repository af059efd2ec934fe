/** The planner: buffer reuse, reshape aliasing, in-place ops, identical results, memory estimates. */
import { describe, expect, it } from 'vitest';
import type { DeviceTensor } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph, type Node } from '../../src/engine/graph.ts';
import { estimateMemory } from '../../src/engine/memory.ts';
import { numel } from '../../src/engine/ops.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { PlanError, plan, slotBytes } from '../../src/engine/plan.ts';
import { Rng } from '../../src/engine/random.ts';
import { TrainState } from '../../src/engine/train-state.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { Workspace } from '../../src/engine/workspace.ts';
import { randn } from './engine-helpers.ts';

const fake = (leaf: Node): DeviceTensor => ({ numel: numel(leaf.shape), dtype: leaf.dtype });

/** A 6-layer residual MLP with layernorm and a log-prob loss: many short-lived intermediates. */
function deepNet(g: Graph, N = 6): { loss: Node; logits: Node } {
  const [D, V] = [10, 7];
  let h: Node = g.input('x', [N, D]);
  for (let l = 0; l < 6; l++) {
    const n = g.layernorm(h, g.param(`ln${l}.w`, [D]), g.param(`ln${l}.b`, [D]), 1e-5);
    const up = g.unary(g.matmul(n, g.param(`w${l}`, [D, 2 * D])), 'gelu_tanh');
    h = g.add(h, g.reshape(g.matmul(g.reshape(up, [N, 2 * D]), g.param(`v${l}`, [2 * D, D])), [N, D]));
  }
  const logits = g.matmul(h, g.param('out', [D, V]));
  const loss = g.scale(g.sumAll(g.tokenLogprobs(logits, g.input('t', [N], 'i32'))), -1 / N);
  return { loss, logits };
}

function setup(seed = 5) {
  const g = new Graph();
  const net = deepNet(g);
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  const rng = new Rng(seed);
  store.addFromGraph(g, (name, shape) =>
    name.endsWith('.w') ? new Float32Array(numel(shape)).fill(1) : randn(rng, shape, 0.3),
  );
  const feeds = { x: randn(rng, [6, 10]), t: Int32Array.of(0, 3, 6, 2, -1, 5) };
  return { g, ...net, backend, store, feeds };
}

describe('planner', () => {
  it('reuses dead intermediates: fewer tensors and bytes than one tensor per value', () => {
    const { g, loss, logits } = setup();
    const bind = fake;
    const without = plan(g, { outputs: [loss, logits], bind, reuse: false });
    const withReuse = plan(g, { outputs: [loss, logits], bind });
    expect(without.launches.length).toBe(withReuse.launches.length);
    expect(withReuse.slots.length).toBeLessThan(without.slots.length / 3);
    expect(slotBytes(withReuse.slots)).toBeLessThan(slotBytes(without.slots) / 2);
  });

  it('gives identical forward results and gradients with and without reuse / in-place', async () => {
    const results: Float32Array[][] = [];
    for (const opts of [{ reuse: false }, { reuse: true, inPlace: false }, { reuse: true, inPlace: true }]) {
      const { g, loss, logits, backend, store, feeds } = setup();
      const fwd = await compileForward(g, [loss, logits], backend, store, opts).run(feeds);
      const train = compileTrainStep(g, loss, [logits], backend, store, { ...opts, trainable: store.names() });
      const { grads } = await train.grads(feeds);
      results.push([...fwd, ...store.names().map((n) => grads.get(n) as Float32Array)]);
    }
    for (const r of results.slice(1)) {
      expect(r.length).toBe(results[0].length);
      for (let i = 0; i < r.length; i++) expect([...r[i]]).toEqual([...results[0][i]]);
    }
  });

  it('aliases reshape to its input buffer (no launch) and copies only a pinned reshape', () => {
    const g = new Graph();
    const x = g.input('x', [2, 6]);
    const e = g.unary(x, 'exp');
    const r = g.reshape(e, [3, 4]);
    const out = g.unary(r, 'neg');
    const p = plan(g, { outputs: [out], bind: fake, inPlace: false });
    expect(p.launches.map((l) => l.node.op)).toEqual(['unary', 'unary']);
    expect(p.views.get(r)?.ref).toEqual(p.views.get(e)?.ref);
    expect(p.views.get(r)?.shape).toEqual([3, 4]);
    const target: DeviceTensor = { numel: 12, dtype: 'f32' };
    const pinnedPlan = plan(g, { outputs: [], bind: fake, pinned: new Map([[r, target]]) });
    expect(pinnedPlan.launches.map((l) => l.node.op)).toEqual(['unary', 'reshape']);
  });

  it('runs a dying elementwise chain in place in one slot, but never over an output', () => {
    const g = new Graph();
    const x = g.input('x', [5]);
    const a = g.unary(x, 'exp');
    const b = g.scale(a, 3);
    const c = g.unary(b, 'neg');
    const p = plan(g, { outputs: [c], bind: fake });
    expect(p.slots.length).toBe(1);
    const keep = plan(g, { outputs: [c, a], bind: fake });
    expect(keep.views.get(b)?.ref).not.toEqual(keep.views.get(a)?.ref);
  });

  it('refuses to overwrite a tensor that a later node still reads', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const y = g.unary(x, 'exp');
    const late = g.add(y, x);
    const shared: DeviceTensor = { numel: 3, dtype: 'f32' };
    expect(() =>
      plan(g, { outputs: [late], bind: (leaf) => (leaf === x ? shared : fake(leaf)), pinned: new Map([[y, shared]]) }),
    ).toThrow(PlanError);
  });

  it('says which leaf is unbound', () => {
    const g = new Graph();
    const out = g.unary(g.input('tokens', [3]), 'exp');
    expect(() => plan(g, { outputs: [out], bind: () => undefined })).toThrow(
      /input "tokens" \[3\] has no tensor bound/,
    );
  });
});

describe('estimateMemory', () => {
  it('matches what the compiled sessions allocate, and counts every part', () => {
    const { g, loss, logits, backend, store } = setup();
    const fwdEstimate = estimateMemory({ graph: g, outputs: [loss, logits] });
    const fwd = compileForward(g, [loss, logits], backend, store);
    expect(fwdEstimate.intermediateBytes).toBe(fwd.stats.intermediateBytes);
    expect(fwdEstimate.paramBytes).toBe(store.bytes());
    expect(fwdEstimate.inputBytes).toBe(6 * 10 * 4 + 6 * 4);

    const trainable = store.names().filter((n) => n.startsWith('w'));
    const est = estimateMemory({ graph: g, outputs: [logits], loss, trainable });
    const train = compileTrainStep(g, loss, [logits], backend, store, { trainable });
    expect(train.memory).toEqual(est);
    expect(train.state.bytes()).toBe(est.gradBytes + est.optimizerBytes);
    const trainableBytes = trainable.reduce((s, n) => s + numel(store.get(n).shape) * 4, 0);
    expect(est.gradBytes).toBe(trainableBytes);
    expect(est.optimizerBytes).toBe(2 * trainableBytes + 36);
    expect(est.totalBytes).toBe(
      est.paramBytes + est.gradBytes + est.optimizerBytes + est.inputBytes + est.intermediateBytes,
    );
    expect(est.intermediateBytes).toBeGreaterThan(fwdEstimate.intermediateBytes);
    const noReuse = estimateMemory({ graph: g, outputs: [logits], loss, trainable, reuse: false });
    expect(noReuse.intermediateBytes).toBeGreaterThan(2 * est.intermediateBytes);
  });
});

describe('Workspace', () => {
  /** Counts compiled programs and disposed ones: every program a session compiles must be disposed. */
  class CountingCpu extends CpuBackend {
    compiles = 0;
    disposals = 0;
    override compile(launches: Parameters<CpuBackend['compile']>[0]) {
      this.compiles++;
      const program = super.compile(launches);
      return {
        run: () => program.run(),
        stats: program.stats,
        dispose: () => {
          this.disposals++;
          program.dispose();
        },
      };
    }
  }

  /** Train steps for two buckets (4 and 12 rows) sharing params, optimizer state and maybe a workspace. */
  async function twoBuckets(shared: boolean) {
    const backend = new CountingCpu();
    const store = new ParamStore(backend);
    const rng = new Rng(9);
    const graphs = [4, 12].map((N) => {
      const g = new Graph();
      return { g, N, ...deepNet(g, N) };
    });
    store.addFromGraph(graphs[0].g, (_n, shape) => randn(rng, shape, 0.3));
    const state = new TrainState(backend, store, store.names());
    const workspace = shared ? new Workspace(backend) : undefined;
    const steps = graphs.map(({ g, loss }) => compileTrainStep(g, loss, [], backend, store, { state, workspace }));
    const feeds = graphs.map(({ N }) => ({
      x: randn(rng, [N, 10]),
      t: Int32Array.from({ length: N }, (_, i) => i % 7),
    }));
    const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };
    const losses: number[] = [];
    for (let s = 0; s < 2; s++) {
      losses.push((await steps[0].step(feeds[0])).loss);
      losses.push((await steps[1].step(feeds[1], hyper)).loss);
    }
    return { backend, store, steps, workspace, losses, weights: await store.readAll() };
  }

  it('shares intermediates across buckets with identical results and less memory', async () => {
    const apart = await twoBuckets(false);
    const shared = await twoBuckets(true);
    expect(shared.losses).toEqual(apart.losses);
    for (const [name, w] of apart.weights) expect([...(shared.weights.get(name) as Float32Array)]).toEqual([...w]);
    const separate = apart.steps.map((s) => s.memory.intermediateBytes);
    const ws = shared.workspace as Workspace;
    expect(ws.bytes()).toBeGreaterThanOrEqual(Math.max(...separate));
    expect(ws.bytes()).toBeLessThan(separate[0] + separate[1]);
    for (const s of [...apart.steps, ...shared.steps]) s.dispose();
    expect(apart.backend.disposals).toBe(apart.backend.compiles);
    expect(shared.backend.disposals).toBe(shared.backend.compiles);
  });

  /** A 2-row and a 20-row net over the same params, and a workspace for their sessions. */
  function smallAndBig(seed: number) {
    const backend = new CountingCpu();
    const store = new ParamStore(backend);
    const small = new Graph();
    const big = new Graph();
    const s = deepNet(small, 2);
    const b = deepNet(big, 20);
    const rng = new Rng(seed);
    store.addFromGraph(small, (_n, shape) => randn(rng, shape, 0.3));
    const feeds = { x: randn(rng, [2, 10]), t: Int32Array.of(1, 2) };
    return { backend, store, small, big, s, b, feeds, workspace: new Workspace(backend) };
  }

  it('recompiles a session after another session grew the workspace', async () => {
    const { backend, store, small, big, s, b, feeds, workspace } = smallAndBig(2);
    const fSmall = compileForward(small, [s.logits], backend, store, { workspace });
    const before = await fSmall.run(feeds);
    const gen = workspace.generation;
    const fBig = compileForward(big, [b.logits], backend, store, { workspace });
    expect(workspace.generation).toBeGreaterThan(gen);
    const compiles = backend.compiles;
    const disposals = backend.disposals;
    const after = await fSmall.run(feeds);
    expect(backend.compiles).toBe(compiles + 1);
    expect(backend.disposals).toBe(disposals + 1); // the stale program's resources are released
    expect([...after[0]]).toEqual([...before[0]]);
    fSmall.dispose();
    fBig.dispose();
    expect(backend.disposals).toBe(backend.compiles);
  });

  it('a train step recompiles after the workspace grew, with the same numbers, releasing stale programs', async () => {
    async function run(growInBetween: boolean) {
      const { backend, store, small, big, s, b, feeds, workspace } = smallAndBig(3);
      const state = new TrainState(backend, store, store.names());
      const tSmall = compileTrainStep(small, s.loss, [], backend, store, { state, workspace });
      const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };
      const losses = [(await tSmall.step(feeds)).loss];
      const tBig = growInBetween ? compileTrainStep(big, b.loss, [], backend, store, { state, workspace }) : undefined;
      const disposals = backend.disposals;
      losses.push((await tSmall.step(feeds, hyper)).loss, (await tSmall.step(feeds)).loss);
      const staleReleased = backend.disposals - disposals;
      tSmall.dispose();
      tBig?.dispose();
      return { losses, staleReleased, leaked: backend.compiles - backend.disposals };
    }
    const plain = await run(false);
    const grown = await run(true);
    expect(grown.losses).toEqual(plain.losses);
    expect(plain.staleReleased).toBe(0);
    expect(grown.staleReleased).toBe(1); // the 'first' program compiled before the workspace grew
    expect(grown.leaked).toBe(0);
    expect(plain.leaked).toBe(0);
  });
});
