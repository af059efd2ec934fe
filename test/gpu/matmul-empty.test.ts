/**
 * Matmuls with an empty dimension. K = 0 is an empty sum: the output [M, N] is all zeros (the
 * kernels must still store them over whatever the output held). M = 0 or N = 0 give an empty
 * output. Both also appear in the backward of a K = 0 product (dA = G·B^T has N = 0, dB = A^T·G
 * has M = 0). Checked on the CPU backend and on every WebGPU kernel: tiled, register, and skinny
 * (with and without subgroups), with fusion on and off.
 */
import { describe, expect, it } from 'vitest';
import { buildBackward, LOSS_SEED_INPUT } from '../../src/engine/autodiff.ts';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend, type CpuBackendOptions } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackendOptions } from '../../src/engine/backends/webgpu/index.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph } from '../../src/engine/graph.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { gpuBackendPerVariant, type OpCase, Rng, randn, runCase } from './webgpu-helpers.ts';

const VARIANTS = {
  tiled: { matmul: 'tiled', matmulTile: '64x64', skinnyMatmul: false },
  'tiled vec4': { matmul: 'tiled', matmulTile: '64x64-v4', skinnyMatmul: false },
  register: { matmul: 'register', skinnyMatmul: false },
  'register, unfused': { matmul: 'register', skinnyMatmul: false, fusion: false },
  'tiled, unfused': { matmul: 'tiled', matmulTile: '64x64', skinnyMatmul: false, fusion: false },
  'skinny, subgroups': { matmul: 'register', subgroups: true },
  'skinny, plain loads': { matmul: 'tiled', matmulTile: '64x64', subgroups: false, fusion: false },
} satisfies Record<string, WebGPUBackendOptions>;
type Variant = keyof typeof VARIANTS;
const names = Object.keys(VARIANTS) as Variant[];
const backendFor = gpuBackendPerVariant(names, (v) => VARIANTS[v]);
const rng = new Rng(41);
const CPU_VARIANTS: [string, CpuBackendOptions][] = [
  ['SIMD gemm, 1 thread', { threads: 1 }],
  ['SIMD gemm, 2 threads', { threads: 2 }],
  ['JS gemm', { matmul: 'js', threads: 1 }],
];

interface Case {
  batch?: readonly number[];
  M: number;
  K: number;
  N: number;
  tA?: boolean;
  tB?: boolean;
}

function opCase(c: Case): OpCase<'matmul'> {
  const { batch = [], M, K, N, tA = false, tB = false } = c;
  return {
    op: 'matmul',
    attrs: { transA: tA, transB: tB },
    inputs: [randn(rng, [...batch, ...(tA ? [K, M] : [M, K])]), randn(rng, [...batch, ...(tB ? [N, K] : [K, N])])],
    out: [...batch, M, N],
    // A kernel that skips the store leaves NaN behind.
    outFill: Number.NaN,
  };
}

async function expectZeros(be: Backend, c: Case, label: string): Promise<void> {
  const oc = opCase(c);
  const [got] = await runCase(be, oc);
  const want = (c.batch ?? []).reduce((p, x) => p * x, 1) * c.M * c.N;
  expect(got.length, label).toBe(want);
  const bad = Array.from(got).findIndex((x) => !Object.is(x, 0));
  expect(bad, `${label}: element ${bad} = ${got[bad]}`).toBe(-1);
}

const ZERO_K: Case[] = [
  { M: 3, K: 0, N: 5 },
  { M: 3, K: 0, N: 5, tA: true, tB: true },
  { batch: [2], M: 37, K: 0, N: 70, tB: true },
  // Skinny shapes (a decode step, a rank-4 LoRA down-projection).
  { M: 2, K: 0, N: 300 },
  { M: 300, K: 0, N: 4, tB: true },
];
const EMPTY_OUT: Case[] = [
  { M: 0, K: 5, N: 3 },
  // The backward of [3, 0] x [0, 5]: dA = G·B^T ([3, 5] x [0, 5]^T) and dB = A^T·G ([3, 0]^T x [3, 5]).
  { M: 3, K: 5, N: 0, tB: true },
  { M: 0, K: 3, N: 5, tA: true },
  { M: 0, K: 0, N: 0 },
  { batch: [0], M: 4, K: 3, N: 5 },
];
const describeCase = (c: Case) => `[${c.batch ?? []}] M ${c.M} K ${c.K} N ${c.N} transA ${!!c.tA} transB ${!!c.tB}`;

describe('matmul with K = 0: zeros of shape [M, N]', () => {
  for (const [name, options] of CPU_VARIANTS) {
    it(`on the CPU backend, ${name}`, async () => {
      for (const c of ZERO_K) await expectZeros(new CpuBackend(options), c, `cpu ${name} ${describeCase(c)}`);
    });
  }
  for (const v of names) {
    it(`on WebGPU, ${v}`, async () => {
      for (const c of ZERO_K) await expectZeros(backendFor(v), c, `${v} ${describeCase(c)}`);
    });
  }
});

describe('matmul with M = 0 or N = 0: an empty output, nothing dispatched out of bounds', () => {
  for (const [name, options] of CPU_VARIANTS) {
    it(`on the CPU backend, ${name}`, async () => {
      for (const c of EMPTY_OUT) await expectZeros(new CpuBackend(options), c, `cpu ${name} ${describeCase(c)}`);
    });
  }
  for (const v of names) {
    it(`on WebGPU, ${v}`, async () => {
      for (const c of EMPTY_OUT) await expectZeros(backendFor(v), c, `${v} ${describeCase(c)}`);
    });
  }
});

describe('a K = 0 matmul through autodiff: out = a·b + c with a [3, 0], b [0, 5]', () => {
  /** Forward output and the gradients of a, b, c (built by buildBackward) for the seed R. */
  async function step(backend: Backend) {
    const rng = new Rng(5);
    const g = new Graph();
    const [a, b, c] = [g.input('a', [3, 0]), g.input('b', [0, 5]), g.input('c', [3, 5])];
    const out = g.add(g.matmul(a, b), c);
    const grads = buildBackward(g, out, [a, b, c]);
    const da = grads.get(a);
    const db = grads.get(b);
    const dc = grads.get(c);
    if (!(da && db && dc)) throw new Error('test: buildBackward left out a gradient');
    const feeds = {
      a: new Float32Array(0),
      b: new Float32Array(0),
      c: rng.normals(15, 1),
      [LOSS_SEED_INPUT]: rng.normals(15, 1),
    };
    const [forward, ga, gb, gc] = await compileForward(g, [out, da, db, dc], backend, new ParamStore(backend)).run(
      feeds,
    );
    return { feeds, forward, ga, gb, gc };
  }
  const backends: [string, () => Backend][] = [
    ['cpu', () => new CpuBackend({ threads: 1 })],
    ...names.map((v): [string, () => Backend] => [`webgpu ${v}`, () => backendFor(v)]),
  ];
  for (const [name, backend] of backends) {
    it(`on ${name}: out = c, dc = the seed, da [3, 0] and db [0, 5] empty`, async () => {
      const r = await step(backend());
      expect(Array.from(r.forward), 'forward').toEqual(Array.from(r.feeds.c));
      expect(Array.from(r.gc), 'dc').toEqual(Array.from(r.feeds[LOSS_SEED_INPUT]));
      expect([r.ga.length, r.gb.length], 'da, db').toEqual([0, 0]);
    });
  }
});
