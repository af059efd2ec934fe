/**
 * Times the skinny matmul (kernels/matmul-skinny.ts) against the tile kernels on this machine's
 * WebGPU adapter, on the shapes it is chosen for: decode steps (M = sequences) and LoRA's rank-r
 * products, at GPT-2-small widths. `npx tsx bench/matmul-skinny.ts [--tiled]`: --tiled compares
 * with the shared-memory tiles (GPUs) instead of the register kernel (the default on CPU adapters).
 * Prints which kernel each product gets by default and milliseconds per product on each variant
 * (best of three timings of a few runs each); where the default is the tiles, every column runs them.
 */
import type { TensorView } from '../src/engine/backend.ts';
import {
  createWebGPUBackend,
  type WebGPUBackend,
  type WebGPUBackendOptions,
} from '../src/engine/backends/webgpu/index.ts';
import { skinnyPlan } from '../src/engine/backends/webgpu/kernels/matmul-skinny.ts';
import type { KernelContext } from '../src/engine/backends/webgpu/kernels/types.ts';
import { getNodeGPU } from '../src/engine/backends/webgpu/node-gpu.ts';

interface Shape {
  name: string;
  /** Batched products (attention: batch x heads); 1 when absent. */
  batch?: number;
  M: number;
  K: number;
  N: number;
  tA?: boolean;
  tB?: boolean;
}

const D = 768;
const TOKENS = 8 * 128;
const shapes: Shape[] = [
  ...[1, 8, 16, 64].map((B) => ({ name: `decode B=${B}, W [${D}, ${D}]`, M: B, K: D, N: D })),
  { name: 'decode B=8, W^T (Llama layout)', M: 8, K: D, N: D, tB: true },
  ...[8, 16, 64].map((r) => ({ name: `LoRA u = x·A^T, r=${r}`, M: TOKENS, K: D, N: r, tB: true })),
  ...[8, 32].map((r) => ({ name: `LoRA dA = du^T·x, r=${r}`, M: r, K: TOKENS, N: D, tA: true })),
  ...[8, 16].map((r) => ({ name: `LoRA dB = g^T·u, r=${r}`, M: D, K: TOKENS, N: r, tA: true })),
];
/** The tiny bench model's step (n_embd 128, 8 x 64 tokens, 4 heads of 32, LoRA r = 8). */
const tinyShapes: Shape[] = [
  { name: 'tiny LoRA u = x·A^T', M: 512, K: 128, N: 8, tB: true },
  { name: 'tiny LoRA dA', M: 8, K: 512, N: 384, tA: true },
  { name: 'tiny LoRA dB', M: 384, K: 512, N: 8, tA: true },
  { name: 'tiny attention q·k^T [32 x 64 x 64]', batch: 32, M: 64, K: 32, N: 64, tB: true },
  { name: 'tiny attention p·v [32 x 64 x 32]', batch: 32, M: 64, K: 64, N: 32 },
  { name: 'tiny attention dp^T·q [32 x 64 x 32]', batch: 32, M: 64, K: 64, N: 32, tA: true },
  { name: 'decode attention q·k^T [32 x 1 x 64]', batch: 32, M: 1, K: 32, N: 64, tB: true },
  { name: 'decode attention p·v [32 x 1 x 32]', batch: 32, M: 1, K: 64, N: 32 },
  { name: 'decode attention q·k^T [32 x 1 x 256]', batch: 32, M: 1, K: 32, N: 256, tB: true },
  { name: 'attention p·v T=256 [32 x 256 x 32]', batch: 32, M: 256, K: 256, N: 32 },
  { name: 'attention p·v T=128 [32 x 128 x 32]', batch: 32, M: 128, K: 128, N: 32 },
];

async function time(backend: WebGPUBackend, s: Shape): Promise<number> {
  const batch = s.batch ?? 1;
  const view = (shape: number[]): TensorView => {
    const n = shape.reduce((x, y) => x * y, 1);
    const tensor = backend.alloc(n, 'f32');
    backend.write(
      tensor,
      Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
    );
    return { tensor, shape, dtype: 'f32' };
  };
  const a = view([batch, ...(s.tA ? [s.K, s.M] : [s.M, s.K])]);
  const b = view([batch, ...(s.tB ? [s.N, s.K] : [s.K, s.N])]);
  const out = view([batch, s.M, s.N]);
  const program = backend.compile([
    { op: 'matmul', attrs: { transA: !!s.tA, transB: !!s.tB }, inputs: [a, b], output: out },
  ]);
  program.run();
  await backend.sync();
  const repeats = 3;
  let best = Number.POSITIVE_INFINITY;
  for (let trial = 0; trial < 3; trial++) {
    const t0 = performance.now();
    for (let r = 0; r < repeats; r++) program.run();
    await backend.sync();
    best = Math.min(best, (performance.now() - t0) / repeats);
  }
  program.dispose();
  for (const v of [a, b, out]) backend.free(v.tensor);
  return best;
}

const matmul = process.argv.includes('--tiled') ? 'tiled' : 'register';
const variants: Record<string, WebGPUBackendOptions> = {
  'skinny+subgroups': { matmul, subgroups: true },
  'skinny plain': { matmul, subgroups: false },
  [matmul]: { matmul, skinnyMatmul: false, matmulTile: '64x64' },
};
const gpu = await getNodeGPU();
const backends = Object.fromEntries(
  await Promise.all(Object.entries(variants).map(async ([k, o]) => [k, await createWebGPUBackend(gpu, o)] as const)),
);
console.log(`adapter: ${backends[matmul].report?.adapter.description}; ms per product`);
console.log(['shape', 'default kernel', ...Object.keys(variants)].join(' | '));
const only = process.argv.includes('--tiny') ? tinyShapes : [...shapes, ...tinyShapes];
for (const s of only) {
  // Which kernel the product gets by default (near-square and wide products stay on the tiles).
  const ctx = { matmul, limits: backends[matmul].limits } as KernelContext;
  const row = [s.name, skinnyPlan({ batch: s.batch ?? 1, M: s.M, N: s.N, K: s.K }, ctx) ? 'skinny' : matmul];
  for (const k of Object.keys(variants)) row.push((await time(backends[k], s)).toFixed(2));
  console.log(row.join(' | '));
}
for (const b of Object.values(backends)) b.dispose();
