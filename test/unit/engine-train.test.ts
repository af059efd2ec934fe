/** End to end: a tiny MLP classifier trained with AdamW on the CPU backend learns its data. */
import { expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph } from '../../src/engine/graph.ts';
import { ADAMW_DEFAULTS } from '../../src/engine/optim/adamw.ts';
import { lrAt } from '../../src/engine/optim/schedule.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { randn } from './engine-helpers.ts';

it('a 2-layer MLP on three Gaussian blobs: loss falls and accuracy rises over 50 steps', async () => {
  const [N, D, Hd, C] = [48, 4, 16, 3];
  const rng = new Rng(11);
  const centers = [randn(rng, [D], 2), randn(rng, [D], 2), randn(rng, [D], 2)];
  const makeData = () => {
    const x = new Float32Array(N * D);
    const y = new Int32Array(N);
    for (let n = 0; n < N; n++) {
      y[n] = n % C;
      for (let d = 0; d < D; d++) x[n * D + d] = centers[y[n]][d] + rng.normal() * 0.7;
    }
    return { x, y };
  };

  const g = new Graph();
  const x = g.input('x', [N, D]);
  const h = g.unary(g.add(g.matmul(x, g.param('w1', [D, Hd])), g.param('b1', [Hd])), 'gelu_tanh');
  const logits = g.add(
    g.matmul(g.layernorm(h, g.param('ln.w', [Hd]), g.param('ln.b', [Hd]), 1e-5), g.param('w2', [Hd, C])),
    g.param('b2', [C]),
  );
  const loss = g.scale(g.sumAll(g.tokenLogprobs(logits, g.input('y', [N], 'i32'))), -1 / N);

  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (name, shape) =>
    name === 'ln.w'
      ? new Float32Array(Hd).fill(1)
      : name.startsWith('b') || name === 'ln.b'
        ? new Float32Array(shape[0])
        : randn(rng, shape, 0.3),
  );
  const train = compileTrainStep(g, loss, [], backend, store);
  const sched = { schedule: 'cosine' as const, lr: 0.03, warmupSteps: 5, totalSteps: 50 };
  const losses: number[] = [];
  for (let s = 0; s < 50; s++) {
    const r = await train.step(makeData(), { ...ADAMW_DEFAULTS, lr: lrAt(s, sched), weightDecay: 0.01 });
    losses.push(r.loss);
  }
  const first = (losses[0] + losses[1] + losses[2]) / 3;
  const last = (losses[47] + losses[48] + losses[49]) / 3;
  expect(first).toBeGreaterThan(0.5);
  expect(last).toBeLessThan(0.25 * first);

  const test = makeData();
  const [lg] = await compileForward(g, [logits], backend, store).run({ x: test.x });
  let correct = 0;
  for (let n = 0; n < N; n++) {
    const row = [...lg.slice(n * C, n * C + C)];
    if (row.indexOf(Math.max(...row)) === test.y[n]) correct++;
  }
  expect(correct / N).toBeGreaterThan(0.85);
});
