/**
 * Fused (flash_attention) against unfused (q k^T, softmax_causal, p v) causal attention on the CPU
 * backend, forward and backward (q, k and v gradients) of one GPT-2-small-like layer (12 heads,
 * head dim 64, batch 2), at T = 256 and 512 and at 1 and N threads: `npx tsx bench/cpu-attention.ts`.
 * Every configuration's timed runs alternate in rounds, so background load hits all alike; each
 * reports its median ms. Prints one JSON object per row.
 */
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { resolveThreadCount } from '../src/engine/backends/cpu/threads/thread-count.ts';
import { Graph, type Node } from '../src/engine/graph.ts';
import { ParamStore } from '../src/engine/params.ts';
import { Rng } from '../src/engine/random.ts';
import { compileTrainStep, type TrainStep } from '../src/engine/train-step.ts';
import { median } from './result.ts';

const LAYER = { B: 2, H: 12, D: 64 };
const ROUNDS = 5;

export interface AttentionRow {
  path: 'fused' | 'unfused';
  T: number;
  threads: number;
  /** Median ms of one forward + backward. */
  ms: number;
  runs: number[];
}

function attend(g: Graph, path: AttentionRow['path'], q: Node, k: Node, v: Node, mask: Node, scale: number): Node {
  if (path === 'fused') return g.flashAttention(q, k, v, mask, scale);
  return g.matmul(g.softmaxCausal(g.matmul(q, k, false, true), mask, scale), v);
}

async function build(path: AttentionRow['path'], T: number, threads: number) {
  const { B, H, D } = LAYER;
  const g = new Graph();
  const shape = [B, H, T, D];
  const mask = g.input('mask', [B, T]);
  const out = attend(g, path, g.param('q', shape), g.param('k', shape), g.param('v', shape), mask, 1 / Math.sqrt(D));
  const backend = new CpuBackend({ threads });
  await backend.whenThreadsReady();
  const rng = new Rng(1);
  const store = new ParamStore(backend);
  store.addFromGraph(g, (_name, s) => rng.normals(s.reduce((a, b) => a * b, 1)));
  const step: TrainStep = compileTrainStep(g, out, [], backend, store, { trainable: ['q', 'k', 'v'] });
  const feeds = { mask: new Float32Array(B * T).fill(1) };
  const lossScale = rng.normals(B * H * T * D);
  return { run: () => step.grads(feeds, { lossScale }) };
}

export async function cpuAttentionRows(Ts = [256, 512]): Promise<AttentionRow[]> {
  const n = resolveThreadCount();
  const configs: { path: AttentionRow['path']; T: number; threads: number }[] = [];
  for (const T of Ts)
    for (const threads of n > 1 ? [1, n] : [1])
      for (const path of ['fused', 'unfused'] as const) configs.push({ path, T, threads });
  const runners = [];
  for (const c of configs) {
    const r = await build(c.path, c.T, c.threads);
    await r.run(); // warm up
    runners.push({ c, r, times: [] as number[] });
  }
  for (let round = 0; round < ROUNDS; round++)
    for (const x of runners) {
      const t0 = performance.now();
      await x.r.run();
      x.times.push(performance.now() - t0);
    }
  return runners.map(({ c, times }) => ({ ...c, ms: median(times), runs: times.map((t) => Math.round(t * 10) / 10) }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const Ts = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  for (const row of await cpuAttentionRows(Ts.length ? Ts : undefined)) console.log(JSON.stringify(row));
  process.exit(0);
}
