/** The session API: parameter store, feeds, frozen params, and the errors callers will hit. */
import { describe, expect, it } from 'vitest';
import { LOSS_SEED_INPUT } from '../../src/engine/autodiff.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph } from '../../src/engine/graph.ts';
import { ADAMW_DEFAULTS } from '../../src/engine/optim/adamw.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { TrainState } from '../../src/engine/train-state.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';

function tiny() {
  const g = new Graph();
  const x = g.input('x', [2, 3]);
  const ids = g.input('ids', [2], 'i32');
  const w = g.param('w', [3, 4]);
  const frozen = g.param('frozen', [4], false);
  const logits = g.add(g.matmul(x, w), frozen);
  const loss = g.scale(g.sumAll(g.tokenLogprobs(logits, ids)), -1);
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (name, shape) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (name === 'w' ? 0.1 * i - 0.5 : 0.3 * i)),
  );
  const feeds = { x: Float32Array.of(1, 2, 3, -1, 0, 1), ids: Int32Array.of(1, 3) };
  return { g, x, w, logits, loss, backend, store, feeds };
}

describe('ParamStore', () => {
  it('round-trips values and reports bytes', async () => {
    const { store } = tiny();
    const v = Float32Array.from({ length: 12 }, (_, i) => i * 0.5);
    store.set('w', v);
    expect([...(await store.read('w'))]).toEqual([...v]);
    expect(store.bytes()).toBe((12 + 4) * 4);
    expect(store.names()).toEqual(['w', 'frozen']);
    expect(store.get('frozen').trainable).toBe(false);
  });
  it('says what is wrong with bad names, shapes and data', () => {
    const { store } = tiny();
    expect(() => store.get('nope')).toThrow(/no param "nope".*params.add/);
    expect(() => store.set('w', new Float32Array(5))).toThrow(/"w" \[3, 4\] needs a Float32Array of 12/);
    expect(() => store.add('w', [3, 4])).toThrow(/already exists/);
    expect(() => store.tensorFor('w', [4, 3])).toThrow(/\[3, 4\] in the store but \[4, 3\] in the graph/);
  });
});

describe('compileForward', () => {
  it('checks feeds: missing, unknown, wrong dtype, wrong length', async () => {
    const { g, logits, backend, store, feeds } = tiny();
    const fwd = compileForward(g, [logits], backend, store);
    await expect(fwd.run({ x: feeds.x } as never)).resolves.toHaveLength(1); // ids are not needed for logits
    await expect(fwd.run({})).rejects.toThrow(/missing input\(s\) x/);
    await expect(fwd.run({ ...feeds, typo: new Float32Array(1) })).rejects.toThrow(/"typo" is not an input/);
    await expect(fwd.run({ x: new Int32Array(6) })).rejects.toThrow(/pass a Float32Array/);
    await expect(fwd.run({ x: new Float32Array(5) })).rejects.toThrow(/needs 6 values for \[2, 3\], got 5/);
  });
  it('computes x @ w + frozen and can read a param directly', async () => {
    const { g, w, logits, backend, store, feeds } = tiny();
    const [out, wOut] = await compileForward(g, [logits, w], backend, store).run(feeds);
    const wv = await store.read('w');
    const bias = await store.read('frozen');
    expect(out[0]).toBeCloseTo(1 * wv[0] + 2 * wv[4] + 3 * wv[8] + bias[0], 5);
    expect([...wOut]).toEqual([...wv]);
  });
  it('refuses i32 outputs and params missing from the store', () => {
    const { g, backend, store } = tiny();
    expect(() => compileForward(g, [g.inputs()[1]], backend, store)).toThrow(/only f32 outputs/);
    const g2 = new Graph();
    const out = g2.unary(g2.param('missing', [2]), 'exp');
    expect(() => compileForward(g2, [out], backend, store)).toThrow(/no param "missing"/);
  });
});

describe('compileTrainStep', () => {
  it('trains only the trainable params; frozen ones stay put', async () => {
    const { g, loss, backend, store, feeds } = tiny();
    const before = await store.read('frozen');
    const wBefore = await store.read('w');
    const train = compileTrainStep(g, loss, [], backend, store, { trainable: ['w'] });
    await train.step(feeds, { lr: 0.1, ...ADAMW_DEFAULTS });
    expect([...(await store.read('frozen'))]).toEqual([...before]);
    expect([...(await store.read('w'))]).not.toEqual([...wBefore]);
  });
  it('uses the store flags by default and reports loss and outputs', async () => {
    const { g, loss, logits, backend, store, feeds } = tiny();
    const train = compileTrainStep(g, loss, [logits], backend, store);
    expect(train.state.trainable).toEqual(['w']);
    const [l, lg] = await compileForward(g, [loss, logits], backend, store).run(feeds);
    const r = await train.grads(feeds);
    expect(r.loss).toBeCloseTo(l[0], 6);
    expect([...r.outputs[0]]).toEqual([...lg]);
  });
  it('explains bad trainable lists', () => {
    const { g, loss, backend, store } = tiny();
    expect(() => compileTrainStep(g, loss, [], backend, store, { trainable: ['nope'] })).toThrow(/no param "nope"/);
    store.add('other', [2]);
    expect(() => compileTrainStep(g, loss, [], backend, store, { trainable: ['other'] })).toThrow(
      /"other" is not in this graph/,
    );
    const g2 = new Graph();
    const used = g2.param('w', [3, 4]);
    g2.param('frozen', [4]);
    const l2 = g2.sumAll(used);
    expect(() => compileTrainStep(g2, l2, [], backend, store, { trainable: ['w', 'frozen'] })).toThrow(
      /does not depend on trainable param "frozen"/,
    );
    const state = new TrainState(backend, store, ['w']);
    expect(() => compileTrainStep(g, loss, [], backend, store, { state, trainable: ['w'] })).toThrow(
      /either opts.state or opts.trainable/,
    );
  });
  it('seeds the loss gradient with ones unless fed (vector-Jacobian products)', async () => {
    const { g, logits, backend, store, feeds } = tiny();
    const train = compileTrainStep(g, logits, [], backend, store, { trainable: ['w'] });
    const ones = (await train.grads(feeds)).grads.get('w') as Float32Array;
    const seed = new Float32Array(8);
    seed[0] = 1; // d logits[0,0] / dw = x[0, :] in column 0
    const one = (await train.grads({ ...feeds, [LOSS_SEED_INPUT]: seed })).grads.get('w') as Float32Array;
    expect([...one]).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
    // The public lossScale option feeds the same seed: a per-element array, or one number for all.
    const viaScale = (await train.grads(feeds, { lossScale: seed })).grads.get('w') as Float32Array;
    expect([...viaScale]).toEqual([...one]);
    const half = (await train.grads(feeds, { lossScale: 0.5 })).grads.get('w') as Float32Array;
    expect([...half]).toEqual([...ones].map((x) => x * 0.5));
    await expect(train.grads(feeds, { lossScale: new Float32Array(3) })).rejects.toThrow(/8 values\), got 3 weights/);
    const again = (await train.grads(feeds)).grads.get('w') as Float32Array;
    expect([...again]).toEqual([...ones]);
    // With ones, column j of dW sums x over rows: [0, 2, 4] for every column.
    expect([...ones]).toEqual([0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4]);
  });
  it('TrainState.reset starts a fresh optimizer', async () => {
    const { g, loss, backend, store, feeds } = tiny();
    const w0 = await store.read('w');
    const train = compileTrainStep(g, loss, [], backend, store);
    await train.step(feeds, { lr: 0.1, ...ADAMW_DEFAULTS });
    const w1 = await store.read('w');
    store.set('w', w0);
    train.state.reset();
    expect(train.state.step).toBe(0);
    await train.step(feeds, { lr: 0.1, ...ADAMW_DEFAULTS });
    expect([...(await store.read('w'))]).toEqual([...w1]);
  });
});

describe('accumulation bookkeeping', () => {
  it('a bad feed leaves the counters alone; un-awaited micro-batches still accumulate', async () => {
    const { g, loss, backend, store, feeds } = tiny();
    const train = compileTrainStep(g, loss, [], backend, store);
    await expect(train.step({ x: feeds.x })).rejects.toThrow(/missing input/);
    expect(train.state.microBatches).toBe(0);
    const one = (await train.grads(feeds)).grads.get('w') as Float32Array;
    const a = train.step(feeds);
    const b = train.step(feeds);
    await Promise.all([a, b]);
    expect(train.state.microBatches).toBe(2);
    const w0 = await store.read('w');
    // lr 0 and no decay: the update leaves w alone, but reports the norm of the 3 summed grads.
    const r = await train.step(feeds, { ...ADAMW_DEFAULTS, lr: 0 });
    const norm = Math.sqrt(one.reduce((s, v) => s + 9 * v * v, 0));
    expect(r.gradNorm).toBeCloseTo(norm, 4);
    expect([...(await store.read('w'))]).toEqual([...w0]);
  });
});
