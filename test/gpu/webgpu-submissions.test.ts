/**
 * The WebGPU backend's command batching (command-batch.ts): a program run and the reads after it
 * are ONE queue submission, and batching never reorders host writes, runs, reads and buffer clears.
 * The orderings below each fail if write() stopped submitting the pending batch first, or if a
 * clear skipped the batch.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Launch, TensorView } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { Graph } from '../../src/engine/graph.ts';
import { ADAMW_DEFAULTS, type AdamWHyper } from '../../src/engine/optim/adamw.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { compileTrainStep, type StepResult } from '../../src/engine/train-step.ts';
import { Rng, randn, withGpuBackend } from './webgpu-helpers.ts';

let gpu: WebGPUBackend;
withGpuBackend((b) => {
  gpu = b;
});

const HYPER: AdamWHyper = { ...ADAMW_DEFAULTS, lr: 0.02, weightDecay: 0.01, maxGradNorm: 1 };
const [N, D, H, C] = [12, 5, 7, 3];

/** A 2-layer MLP classifier with its train step; the same init and data on every backend. */
function mlpTrainer(backend: Backend) {
  const rng = new Rng(41);
  const g = new Graph();
  const x = g.input('x', [N, D]);
  const h = g.unary(g.add(g.matmul(x, g.param('w1', [D, H])), g.param('b1', [H])), 'gelu_tanh');
  const logits = g.matmul(h, g.param('w2', [H, C]));
  const loss = g.scale(g.sumAll(g.tokenLogprobs(logits, g.input('y', [N], 'i32'))), -1 / N);
  const store = new ParamStore(backend);
  store.addFromGraph(g, (_name, shape) => randn(rng, shape, 0.5).data as Float32Array);
  const train = compileTrainStep(g, loss, [], backend, store);
  const batches = Array.from({ length: 4 }, () => ({
    x: randn(rng, [N, D]).data as Float32Array,
    y: Int32Array.from({ length: N }, (_, n) => (n * 7 + 1) % C),
  }));
  return { train, batches, store };
}

async function lossesAndNorms(results: Promise<StepResult>[]): Promise<number[]> {
  return (await Promise.all(results)).flatMap((r) => [r.loss, r.gradNorm ?? Number.NaN]);
}

describe('one submission per optimizer step', () => {
  it('a step that reads its loss and grad norm is one submission, with the same numbers as the CPU', async () => {
    const cpu = mlpTrainer(new CpuBackend());
    const want = await lossesAndNorms(cpu.batches.map((b) => cpu.train.step(b, HYPER)));

    const { train, batches } = mlpTrainer(gpu);
    // Warm-up step (first-use allocations and clears), then one step measured on its own.
    const warm = await train.step(batches[0], HYPER);
    const before = { ...gpu.counters };
    const pending = train.step(batches[1], HYPER);
    // Nothing is submitted inside the call: the run and both reads wait for the end of the burst.
    expect(gpu.counters.submissions - before.submissions).toBe(0);
    expect(gpu.counters.programRuns - before.programRuns).toBe(1);
    const second = await pending;
    expect(gpu.counters.submissions - before.submissions).toBe(1);
    expect(gpu.counters.reads - before.reads).toBe(2);

    // Pipelined like bench/timing.ts: step k+1 is queued before step k's results are awaited.
    const mid = { ...gpu.counters };
    const rest = [train.step(batches[2], HYPER), train.step(batches[3], HYPER)];
    const got = [warm.loss, warm.gradNorm, second.loss, second.gradNorm, ...(await lossesAndNorms(rest))];
    expect(gpu.counters.submissions - mid.submissions).toBe(2);
    expect(gpu.counters.programRuns - mid.programRuns).toBe(2);
    expect(gpu.counters.reads - mid.reads).toBe(4);

    for (let i = 0; i < want.length; i++) {
      expect(Math.abs((got[i] as number) - want[i])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want[i]));
    }
    expect(Math.abs(want[6] - want[0])).toBeGreaterThan(1e-3); // training moved the loss
    train.dispose();
    cpu.train.dispose();
  });

  it('gives bit-identical results whether steps are pipelined or awaited one at a time', async () => {
    const a = mlpTrainer(gpu);
    const pipelined = await lossesAndNorms(a.batches.map((b) => a.train.step(b, HYPER)));
    const b = mlpTrainer(gpu);
    const oneByOne: number[] = [];
    for (const batch of b.batches) {
      const r = await b.train.step(batch, HYPER);
      await gpu.sync();
      oneByOne.push(r.loss, r.gradNorm ?? Number.NaN);
    }
    expect(pipelined).toEqual(oneByOne);
    a.train.dispose();
    b.train.dispose();
  });
});

/** out = 2 * src, as a one-launch program. */
function doubler(be: Backend, n: number) {
  const view = (): TensorView => ({ tensor: be.alloc(n, 'f32'), shape: [n], dtype: 'f32' });
  const src = view();
  const out = view();
  const launch: Launch = { op: 'scale', attrs: { s: 2 }, inputs: [src], output: out };
  return { src, out, program: be.compile([launch]) };
}

const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => i * 0.5 + k);

/** A 37-element doubler whose source holds values(37, k), run once. */
function ranDoubler(k: number) {
  const d = doubler(gpu, 37);
  gpu.write(d.src.tensor, values(37, k));
  d.program.run();
  return d;
}
const doubled = (a: Float32Array) => Array.from(a, (v) => 2 * v);

describe('program order survives batching', () => {
  it('a host write after a run overwrites what the run wrote', async () => {
    const d = ranDoubler(1);
    gpu.write(d.out.tensor, values(37, 100)); // queued after the run, so it must land after it
    expect(Array.from(await gpu.read(d.out.tensor))).toEqual(Array.from(values(37, 100)));
    d.program.dispose();
  });

  it('a run after a host write sees the new data, and a read before a write sees the old', async () => {
    const d = ranDoubler(1);
    const first = gpu.read(d.out.tensor);
    const srcBefore = gpu.read(d.src.tensor);
    gpu.write(d.src.tensor, values(37, 5));
    d.program.run();
    const second = gpu.read(d.out.tensor);
    expect(Array.from(await first)).toEqual(doubled(values(37, 1)));
    expect(Array.from(await srcBefore)).toEqual(Array.from(values(37, 1)));
    expect(Array.from(await second)).toEqual(doubled(values(37, 5)));
    d.program.dispose();
  });

  it('a program disposed right after its run still completes it, without a validation error', async () => {
    const d = ranDoubler(2);
    const out = gpu.read(d.out.tensor);
    d.program.dispose(); // destroys its uniform buffer, which the pending run binds
    expect(Array.from(await out)).toEqual(doubled(values(37, 2)));
    await expect(gpu.sync()).resolves.toBeUndefined();
  });

  it('a freed buffer is cleared for its next owner only after the reads queued before', async () => {
    const t = gpu.alloc(300, 'f32');
    gpu.write(t, values(300, 3));
    const old = gpu.read(t);
    gpu.free(t);
    const again = gpu.alloc(300, 'f32'); // the same pooled buffer, cleared in the pending batch
    const fresh = gpu.read(again);
    expect(Array.from(await old)).toEqual(Array.from(values(300, 3)));
    expect((await fresh).every((v) => v === 0)).toBe(true);
    gpu.free(again);
  });
});
