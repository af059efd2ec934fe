/**
 * Fused (flash_attention) against unfused (q k^T, softmax_causal, p v) causal attention on the CPU
 * backend: forward and backward (q, k and v gradients) of one GPT-2-small-like layer (12 heads,
 * head dim 64, batch 2) at T = 256 and 512, at 1 and N threads. Part 3 of `npm run bench:cpu-threads`
 * (`-- --no-attention` skips it), or alone: `npx tsx bench/cpu-attention.ts [T ...]`. The
 * configurations' timed runs alternate in rounds, so background load hits all alike; each reports
 * its median ms. The fused gradients at N threads are first checked bit-identical to 1 thread's.
 */
import { availableParallelism, loadavg } from 'node:os';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { sharedGemmPool } from '../src/engine/backends/cpu/threads/shared-pool.ts';
import { resolveThreadCount } from '../src/engine/backends/cpu/threads/thread-count.ts';
import { Graph } from '../src/engine/graph.ts';
import { ParamStore } from '../src/engine/params.ts';
import { Rng } from '../src/engine/random.ts';
import { compileTrainStep } from '../src/engine/train-step.ts';
import { median } from './result.ts';

const LAYER = { B: 2, H: 12, D: 64 };
const ROUNDS = 5;

type Path = 'fused' | 'unfused';

export interface AttentionRow {
  path: Path;
  T: number;
  threads: number;
  /** Median ms of one forward + backward. */
  ms: number;
}

/** Range jobs the shared pool of `threads` has run, and the times its lag guard kept one on the calling thread. */
function poolCounts(threads: number): { rangeJobs: number; backoffs: number } {
  const pool = threads > 1 ? sharedGemmPool(threads) : null;
  return pool && typeof pool !== 'string'
    ? { rangeJobs: pool.stats.rangeJobs, backoffs: pool.lag.backoffs }
    : { rangeJobs: 0, backoffs: 0 };
}

/** One layer's attention, forward and backward, compiled on a CpuBackend of `threads`. */
async function build(path: Path, T: number, threads: number) {
  const { B, H, D } = LAYER;
  const g = new Graph();
  const shape = [B, H, T, D];
  const [q, k, v] = [g.param('q', shape), g.param('k', shape), g.param('v', shape)];
  const mask = g.input('mask', [B, T]);
  const scale = 1 / Math.sqrt(D);
  const out =
    path === 'fused'
      ? g.flashAttention(q, k, v, mask, scale)
      : g.matmul(g.softmaxCausal(g.matmul(q, k, false, true), mask, scale), v);
  const backend = new CpuBackend({ threads });
  await backend.whenThreadsReady();
  const rng = new Rng(1);
  const store = new ParamStore(backend);
  store.addFromGraph(g, (_name, s) => rng.normals(s.reduce((a, b) => a * b, 1)));
  const step = compileTrainStep(g, out, [], backend, store, { trainable: ['q', 'k', 'v'] });
  const feeds = { mask: new Float32Array(B * T).fill(1) };
  const lossScale = rng.normals(B * H * T * D);
  return () => step.grads(feeds, { lossScale });
}

/** Rows for every T, path and thread count (1 and each of `counts`). */
export async function cpuAttentionRows(counts: readonly number[], Ts: readonly number[] = [256, 512]) {
  const runs: { row: Omit<AttentionRow, 'ms'>; run: Awaited<ReturnType<typeof build>>; times: number[] }[] = [];
  for (const T of Ts) {
    let reference: Map<string, Float32Array> | null = null;
    for (const threads of [1, ...counts])
      for (const path of ['fused', 'unfused'] as const) {
        const run = await build(path, T, threads);
        const { grads } = await run();
        if (path === 'fused') {
          reference ??= grads;
          for (const [name, want] of reference) {
            const got = grads.get(name);
            if (!got || got.some((x, i) => !Object.is(x, want[i])))
              throw new Error(`bench cpu-attention: fused d${name} at ${threads} threads differs from 1 thread's`);
          }
        }
        runs.push({ row: { path, T, threads }, run, times: [] });
      }
  }
  const before = new Map(counts.map((n) => [n, poolCounts(n)]));
  for (let round = 0; round < ROUNDS; round++)
    for (const r of runs) {
      const t0 = performance.now();
      await r.run();
      r.times.push(performance.now() - t0);
    }
  // How much of the timed work the helpers shared: a busy machine sends range jobs back to one thread.
  for (const n of counts) {
    const [b, a] = [before.get(n), poolCounts(n)];
    console.log(
      `cpu-attention ${n}-thread pool while timed: ${a.rangeJobs - (b?.rangeJobs ?? 0)} range jobs, ${a.backoffs - (b?.backoffs ?? 0)} lag back-offs`,
    );
  }
  return runs.map(({ row, times }): AttentionRow => ({ ...row, ms: median(times) }));
}

/** One JSON line per row, then per T: fused over unfused time at each thread count, and N threads' speed-up. */
export function printAttentionRows(rows: readonly AttentionRow[]): void {
  for (const r of rows) console.log(JSON.stringify({ bench: 'cpu-attention', ...r, ms: +r.ms.toFixed(1) }));
  const ms = (path: Path, T: number, threads: number) =>
    rows.find((r) => r.path === path && r.T === T && r.threads === threads)?.ms ?? Number.NaN;
  const load = loadavg()[0];
  const cores = availableParallelism();
  const note =
    load > 0.5 * cores ? ` (load average ${load.toFixed(1)} on ${cores} cores: measure on an idle machine)` : '';
  for (const T of new Set(rows.map((r) => r.T))) {
    const parts = [...new Set(rows.map((r) => r.threads))].map((n) => {
      const [f, u] = [ms('fused', T, n), ms('unfused', T, n)];
      const up = n > 1 ? `, ${(ms('fused', T, 1) / f).toFixed(2)}x fused's 1-thread speed` : '';
      return `${n} thread${n > 1 ? 's' : ''}: fused ${f.toFixed(1)} ms, unfused ${u.toFixed(1)} ms (fused ${(f / u).toFixed(2)}x${up})`;
    });
    console.log(`cpu-attention T=${T} (B 2, 12 heads, d 64, fwd + bwd): ${parts.join('; ')}${note}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const Ts = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const n = resolveThreadCount();
  printAttentionRows(await cpuAttentionRows(n > 1 ? [n] : [], Ts.length > 0 ? Ts : undefined));
  process.exit(0);
}
