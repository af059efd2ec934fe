/**
 * The CPU backend's threaded gemm at 1 and N threads: `npm run bench:cpu-threads` (N: all cores,
 * capped at 8, or ORCHARD_CPU_THREADS; `-- --threads 2,4` for several). Part 1, matmul shapes:
 * those of the tiny model's DPO training step (n_embd 128, 4 heads, vocab 1024, batch 8 x 64) and
 * the GPT-2-small LoRA step's large ones (n_embd 768, 12 heads, vocab 50257, batch 8 x 128; about
 * a minute: `-- --groups tiny` skips them); every N-thread result is first checked bit-identical to
 * the 1-thread one; one JSON line per shape and thread count (median ms), then the per-step sums.
 * Part 2 (`-- --no-step` skips it): the whole tiny DPO step on CpuBackend at 1 and N threads, its
 * losses checked identical, against the target (>= 1.7x at 2 threads). `-- --no-shapes`
 * skips part 1; `-- --profile` adds the step's kernel time per op kind at each thread count.
 * Part 3 (`-- --no-attention` skips it): fused against unfused attention of a GPT-2-small-like
 * layer at T = 256 and 512 (bench/cpu-attention.ts).
 */

import { availableParallelism, loadavg } from 'node:os';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import type { MatmulDims } from '../src/engine/backends/cpu/gemm.ts';
import type { GemmPool } from '../src/engine/backends/cpu/threads/gemm-pool.ts';
import { disposeSharedGemmPools, sharedGemmPool } from '../src/engine/backends/cpu/threads/shared-pool.ts';
import { resolveThreadCount } from '../src/engine/backends/cpu/threads/thread-count.ts';
import { createWasmGemm } from '../src/engine/backends/cpu/wasm-gemm.ts';
import { matmul } from '../src/engine/ops/matmul/cpu.ts';
import { Rng } from '../src/engine/random.ts';
import { CASES } from './cases.ts';
import { cpuAttentionRows, printAttentionRows } from './cpu-attention.ts';
import { runOrchard } from './orchard-step.ts';
import { makeWorkload } from './workload.ts';

interface Shape {
  group: 'tiny' | 'gpt2-small';
  name: string;
  dims: MatmulDims;
  transA: boolean;
  transB: boolean;
  /** Launches of this shape per training step (weights the group's total). */
  perStep: number;
}

const mm = (batch: number, M: number, N: number, K: number, sharedB: boolean): MatmulDims => ({
  batch,
  M,
  N,
  K,
  sharedB,
});

/** Forward x W, backward dY W^T and X^T dY, for a linear layer of `rows` x `din` -> `dout`. */
function linear(group: Shape['group'], name: string, rows: number, din: number, dout: number, n: number, dW = true) {
  const out: Shape[] = [
    { group, name: `${name} fwd`, dims: mm(1, rows, dout, din, true), transA: false, transB: false, perStep: n },
    { group, name: `${name} dX`, dims: mm(1, rows, din, dout, true), transA: false, transB: true, perStep: n },
  ];
  if (dW)
    out.push({
      group,
      name: `${name} dW`,
      dims: mm(1, din, dout, rows, true),
      transA: true,
      transB: false,
      perStep: n,
    });
  return out;
}

/** Scores q k^T and weights x v, forward and backward, for `bh` (batch x heads) products. */
function attention(group: Shape['group'], bh: number, T: number, hd: number, layers: number): Shape[] {
  return [
    { group, name: 'attn q.k^T', dims: mm(bh, T, T, hd, false), transA: false, transB: true, perStep: layers },
    { group, name: 'attn p.v', dims: mm(bh, T, hd, T, false), transA: false, transB: false, perStep: layers },
    { group, name: 'attn dP', dims: mm(bh, T, T, hd, false), transA: false, transB: true, perStep: layers },
    { group, name: 'attn dV', dims: mm(bh, T, hd, T, false), transA: true, transB: false, perStep: layers },
    { group, name: 'attn dQ', dims: mm(bh, T, hd, T, false), transA: false, transB: false, perStep: layers },
    { group, name: 'attn dK', dims: mm(bh, T, hd, T, false), transA: true, transB: false, perStep: layers },
  ];
}

const SHAPES: Shape[] = [
  ...linear('tiny', 'c_attn', 512, 128, 384, 4),
  ...linear('tiny', 'attn c_proj', 512, 128, 128, 4),
  ...linear('tiny', 'c_fc', 512, 128, 512, 4),
  ...linear('tiny', 'mlp c_proj', 512, 512, 128, 4),
  ...attention('tiny', 32, 64, 32, 4),
  { group: 'tiny', name: 'lm head fwd', dims: mm(1, 512, 1024, 128, true), transA: false, transB: true, perStep: 1 },
  { group: 'tiny', name: 'lm head dX', dims: mm(1, 512, 128, 1024, true), transA: false, transB: false, perStep: 1 },
  { group: 'tiny', name: 'lm head dW', dims: mm(1, 1024, 128, 512, true), transA: true, transB: false, perStep: 1 },
  ...linear('gpt2-small', 'c_attn', 1024, 768, 2304, 1, false),
  ...linear('gpt2-small', 'c_fc', 1024, 768, 3072, 1, false),
  ...attention('gpt2-small', 96, 128, 64, 1).slice(0, 2),
  {
    group: 'gpt2-small',
    name: 'lm head fwd',
    dims: mm(1, 1024, 50257, 768, true),
    transA: false,
    transB: true,
    perStep: 1,
  },
];

function arg(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i < 0 ? undefined : process.argv[i + 1];
}

function parseThreads(): number[] {
  const list = arg('--threads');
  if (list === undefined) return [resolveThreadCount()];
  return list.split(',').map((s) => resolveThreadCount(Number(s)));
}

const GROUPS = (arg('--groups') ?? 'tiny,gpt2-small').split(',');
for (const g of GROUPS)
  if (g !== 'tiny' && g !== 'gpt2-small') throw new Error(`--groups: unknown group '${g}' (tiny, gpt2-small)`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median ms of each runner, sampled in alternation (one run of each per round) so that background
 * load hits every thread count alike; rounds fill ~0.6 s per runner (at least 3, at most 40).
 */
function timeAlternating(runs: (() => void)[]): number[] {
  for (const run of runs) run();
  const times = runs.map(() => [] as number[]);
  const t0 = performance.now();
  while (times[0].length < 3 || (times[0].length < 40 && performance.now() - t0 < 600 * runs.length)) {
    runs.forEach((run, i) => {
      const t = performance.now();
      run();
      times[i].push(performance.now() - t);
    });
  }
  return times.map(median);
}

const rng = new Rng(7);
const local = createWasmGemm();
if (!local) throw new Error('bench:cpu-threads needs WebAssembly SIMD');
const counts = parseThreads().filter((n) => n > 1);
if (counts.length === 0) throw new Error('bench:cpu-threads: give a thread count above 1 (--threads 2)');
const pools = new Map<number, GemmPool>();
for (const n of counts) {
  const pool = sharedGemmPool(n);
  if (typeof pool === 'string') throw new Error(`bench:cpu-threads: no threads here: ${pool}`);
  await pool.whenReady();
  pools.set(n, pool);
}

const totals = new Map<string, number>();
const SHAPES_ON = !process.argv.includes('--no-shapes');
for (const s of SHAPES.filter((x) => SHAPES_ON && GROUPS.includes(x.group))) {
  const { batch, M, N, K, sharedB } = s.dims;
  const a = { data: rng.normals(batch * M * K), shape: [batch, M, K] };
  const b = { data: rng.normals((sharedB ? 1 : batch) * N * K), shape: sharedB ? [K, N] : [batch, K, N] };
  const one = { data: new Float32Array(batch * M * N), shape: [batch, M, N] };
  const flops = 2 * batch * M * N * K;
  const outs = [one, ...counts.map(() => ({ data: new Float32Array(batch * M * N), shape: [batch, M, N] }))];
  const runs = [
    () => matmul(a, b, s.transA, s.transB, one, s.dims, local),
    ...[...pools.values()].map((pool, i) => () => pool.matmul(a, b, s.transA, s.transB, outs[i + 1], s.dims)),
  ];
  const ms = timeAlternating(runs);
  [1, ...counts].forEach((threads, i) => {
    if (outs[i].data.some((v, e) => !Object.is(v, one.data[e])))
      throw new Error(`bench:cpu-threads: ${s.group} ${s.name} differs between 1 and ${threads} threads`);
    const row = { group: s.group, shape: s.name, batch, M, N, K, threads, ms: ms[i], gflops: flops / (ms[i] * 1e6) };
    console.log(JSON.stringify({ bench: 'cpu-threads', ...row }));
    totals.set(`${s.group}|${threads}`, (totals.get(`${s.group}|${threads}`) ?? 0) + s.perStep * ms[i]);
  });
}
for (const group of SHAPES_ON ? GROUPS : []) {
  const base = totals.get(`${group}|1`) ?? 0;
  const parts = counts.map((n) => {
    const t = totals.get(`${group}|${n}`) ?? 0;
    return `${n} threads ${t.toFixed(1)} ms (${(base / t).toFixed(2)}x)`;
  });
  console.log(`cpu-threads ${group}: matmuls of one step, 1 thread ${base.toFixed(1)} ms; ${parts.join('; ')}`);
}

/**
 * The whole tiny DPO step (bench/cases.ts 'tiny': forward, backward, clip, AdamW) on CpuBackend at
 * 1 and N threads, in alternating rounds so both see the same background load; losses must match.
 */
async function timeTinyStep(): Promise<void> {
  const tiny = makeWorkload(CASES.tiny);
  const times = new Map<number, number[]>();
  let reference: number[] | null = null;
  for (let round = 0; round < 3; round++) {
    for (const n of [1, ...counts]) {
      const backend = new CpuBackend({ threads: n });
      await backend.whenThreadsReady();
      const r = await runOrchard('orchard-cpu', 'node', backend, tiny, { warmup: 1, timed: 4 }, { rowLogps: false });
      times.set(n, [...(times.get(n) ?? []), ...r.msPerStepAll]);
      reference ??= r.losses;
      if (r.losses.some((l, i) => !Object.is(l, reference?.[i])))
        throw new Error(`bench:cpu-threads: the tiny step's losses differ between 1 and ${n} threads`);
    }
  }
  const ms = new Map([...times].map(([n, t]) => [n, median(t)]));
  for (const [n, m] of ms) {
    const pool = pools.get(n);
    // What the pool ran over the whole timing (matmuls, other kernels) and how often it backed off.
    const ran = pool && {
      gemmJobs: pool.stats.threadedJobs,
      rangeJobs: pool.stats.rangeJobs,
      backoffs: pool.lag.backoffs,
    };
    const row = { group: 'tiny', shape: 'whole DPO step', threads: n, ms: m, steps: times.get(n)?.length, ...ran };
    console.log(JSON.stringify({ bench: 'cpu-threads', ...row }));
  }
  const one = ms.get(1) ?? Number.NaN;
  for (const n of counts) {
    const speedup = one / (ms.get(n) ?? Number.NaN);
    const verdict = n === 2 ? ` [${speedup >= 1.7 ? 'met' : 'not met'}] target >= 1.7x at 2 threads` : '';
    console.log(
      `cpu-threads tiny DPO step: 1 thread ${one.toFixed(1)} ms, ${n} threads ${ms.get(n)?.toFixed(1)} ms: ${speedup.toFixed(2)}x${verdict}${loadNote()}`,
    );
  }
}

/**
 * The machine's load while timing: threads only pay off on idle cores (on Linux each session's
 * threads share one fair slice of a busy machine), so a ratio measured under load says little.
 */
function loadNote(): string {
  const load = loadavg()[0];
  const cores = availableParallelism();
  return load > 0.5 * cores ? ` (load average ${load.toFixed(1)} on ${cores} cores: measure on an idle machine)` : '';
}

/**
 * `-- --profile`: milliseconds per step by op kind (CpuBackend's profile option) of the tiny step at
 * 1 and N threads, slowest first, so the share that threads do not split is visible.
 */
async function profileTinyStep(): Promise<void> {
  const tiny = makeWorkload(CASES.tiny);
  const timed = 6;
  const perThreads = new Map<number, Map<string, { ms: number; calls: number }>>();
  for (const n of [1, ...counts]) {
    const backend = new CpuBackend({ threads: n, profile: true });
    await backend.whenThreadsReady();
    // A first run warms the JIT and the helpers up; only the second one's kernel time counts.
    await runOrchard('orchard-cpu', 'node', backend, tiny, { warmup: 2, timed: 1 }, { rowLogps: false });
    const before = new Map(backend.profile().map((p) => [p.op, p]));
    await runOrchard('orchard-cpu', 'node', backend, tiny, { warmup: 0, timed }, { rowLogps: false });
    const per = backend.profile().map((p) => {
      const b = before.get(p.op) ?? { ms: 0, calls: 0 };
      return [p.op, { ms: (p.ms - b.ms) / timed, calls: (p.calls - b.calls) / timed }] as const;
    });
    perThreads.set(n, new Map(per.sort((a, b) => b[1].ms - a[1].ms)));
  }
  const one = perThreads.get(1) ?? new Map();
  const sum = (m: Map<string, { ms: number }>) => [...m.values()].reduce((s, p) => s + p.ms, 0);
  for (const [op, p] of one) {
    const row: Record<string, unknown> = { bench: 'cpu-threads-profile', op, launches: p.calls, ms1: +p.ms.toFixed(2) };
    for (const n of counts) row[`ms${n}`] = +(perThreads.get(n)?.get(op)?.ms ?? 0).toFixed(2);
    console.log(JSON.stringify(row));
  }
  const parts = counts.map((n) => `${n} threads ${sum(perThreads.get(n) ?? new Map()).toFixed(1)} ms`);
  console.log(
    `cpu-threads tiny step profile (kernel time per step): 1 thread ${sum(one).toFixed(1)} ms; ${parts.join('; ')}`,
  );
}

if (process.argv.includes('--profile')) await profileTinyStep();
if (!process.argv.includes('--no-step')) await timeTinyStep();
if (!process.argv.includes('--no-attention')) printAttentionRows(await cpuAttentionRows(counts));
await disposeSharedGemmPools();
