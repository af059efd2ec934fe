/**
 * CPU backend matmul throughput (single thread), default (WebAssembly SIMD) and JS kernels:
 * `npx tsx bench/cpu-matmul.ts`. Prints one JSON object per case and kernel, then a one-line summary.
 */

import type { Launch } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { Rng } from '../src/engine/random.ts';

interface Case {
  name: string;
  a: number[];
  b: number[];
  transA: boolean;
  transB: boolean;
}

const CASES: Case[] = [
  { name: '256x768 @ 768x768', a: [256, 768], b: [768, 768], transA: false, transB: false },
  { name: '1024x64 @ 64x1024', a: [1024, 64], b: [64, 1024], transA: false, transB: false },
  { name: '256x768 @ (768x768)^T', a: [256, 768], b: [768, 768], transA: false, transB: true },
  { name: '(768x256)^T @ 768x768', a: [768, 256], b: [768, 768], transA: true, transB: false },
  { name: '12x(64x64 @ 64x64)', a: [12, 64, 64], b: [12, 64, 64], transA: false, transB: false },
];

function bench(c: Case, kernel: 'auto' | 'js'): { name: string; kernel: string; gflops: number; ms: number } {
  const backend = new CpuBackend({ matmul: kernel });
  const rng = new Rng(1);
  const M = c.transA ? c.a[c.a.length - 1] : c.a[c.a.length - 2];
  const K = c.transA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
  const N = c.transB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const batch = c.a.slice(0, -2).reduce((x, y) => x * y, 1);
  const numel = (s: number[]) => s.reduce((x, y) => x * y, 1);
  const ta = backend.alloc(numel(c.a), 'f32');
  const tb = backend.alloc(numel(c.b), 'f32');
  const out = [...c.a.slice(0, -2), M, N];
  const to = backend.alloc(numel(out), 'f32');
  backend.write(ta, rng.normals(numel(c.a)));
  backend.write(tb, rng.normals(numel(c.b)));
  const launch: Launch<'matmul'> = {
    op: 'matmul',
    attrs: { transA: c.transA, transB: c.transB },
    inputs: [
      { tensor: ta, shape: c.a, dtype: 'f32' },
      { tensor: tb, shape: c.b, dtype: 'f32' },
    ],
    output: { tensor: to, shape: out, dtype: 'f32' },
  };
  const program = backend.compile([launch]);
  const flops = 2 * batch * M * N * K;
  for (let i = 0; i < 3; i++) program.run(); // warm up the JIT
  // Best of many runs: robust to other processes sharing the machine.
  let ms = Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  while (performance.now() - t0 < 1500) {
    const t = performance.now();
    program.run();
    ms = Math.min(ms, performance.now() - t);
  }
  return { name: c.name, kernel: backend.matmulKernel, gflops: flops / (ms * 1e6), ms };
}

const results = CASES.flatMap((c) => [bench(c, 'auto'), bench(c, 'js')]);
for (const r of results) console.log(JSON.stringify({ bench: 'cpu-matmul', ...r }));
const main = results.filter((r) => r.kernel !== 'js');
console.log(
  `cpu-matmul (1 thread, best of runs, ${main[0].kernel}): ${main.map((r) => `${r.name} ${r.gflops.toFixed(1)} GFLOP/s`).join('; ')}`,
);
