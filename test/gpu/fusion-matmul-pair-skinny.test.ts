/**
 * Matmul pairs in the skinny kernel (kernels/matmul-skinny.ts, fusion/matmul-pair.ts): two products
 * with a short side (a KV-cache decode step's few rows, or few columns) computed in one skinny
 * kernel with two accumulator sets. Each case runs on the CPU backend and on WebGPU unfused and
 * fused (fusion-harness.ts checks every tensor against the CPU), in both kernel families, with
 * subgroup shuffles and with plain loads; the fused program must equal the unfused one bit for bit
 * and so must the register kernel with the skinny kernel off (all kernels accumulate each output
 * over k in ascending order with fma from 0). The fused program must actually run a paired skinny
 * kernel, and products that would take different kernels must not pair.
 */
import { describe, expect, it } from 'vitest';
import type { WebGPUBackend, WebGPUBackendOptions } from '../../src/engine/backends/webgpu/index.ts';
import type { PipelineCache } from '../../src/engine/backends/webgpu/pipeline-cache.ts';
import { checkFusion, L, type LaunchDecl, type ListResult, runList, type TensorDecl } from './fusion-harness.ts';
import { gpuBackendPerVariant } from './webgpu-helpers.ts';

const FAMILIES = {
  'register, subgroups': { matmul: 'register', subgroups: true },
  'register, plain loads': { matmul: 'register', subgroups: false },
  'tiled, subgroups': { matmul: 'tiled', matmulTile: '64x64', subgroups: true },
  'tiled, plain loads': { matmul: 'tiled', matmulTile: '64x64', subgroups: false },
} satisfies Record<string, WebGPUBackendOptions>;
type Family = keyof typeof FAMILIES;
const REFERENCE = 'register, no skinny kernel';
const VARIANTS = [...Object.keys(FAMILIES).flatMap((f) => [`${f} plain`, `${f} fused`]), REFERENCE];
const backend = gpuBackendPerVariant(VARIANTS, (v): WebGPUBackendOptions => {
  if (v === REFERENCE) return { matmul: 'register', skinnyMatmul: false, fusion: false };
  const family = v.slice(0, v.lastIndexOf(' ')) as Family;
  return { ...FAMILIES[family], fusion: v.endsWith('fused') } as WebGPUBackendOptions;
});

/** `run`, recording the WGSL of every kernel the programs it compiles use (cached ones included). */
async function kernelsUsed<T>(b: WebGPUBackend, run: () => Promise<T>): Promise<{ result: T; wgsl: string[] }> {
  const cache = (b as unknown as { pipelines: PipelineCache }).pipelines;
  const original = cache.get;
  const wgsl: string[] = [];
  cache.get = (label, code, access) => {
    wgsl.push(code);
    return original.call(cache, label, code, access);
  };
  try {
    return { result: await run(), wgsl };
  } finally {
    cache.get = original;
  }
}

const bitEqual = (label: string, want: ListResult, got: ListResult) => {
  for (const [name, w] of want.values) {
    const g = got.values.get(name) as Float32Array;
    const at = w.findIndex((x, i) => !Object.is(x, g[i]));
    expect(at, `${label}: tensor "${name}" [${at}] ${g[at]} vs ${w[at]}`).toBe(-1);
  }
};

/**
 * checkFusion, plus: fused, unfused and the register kernel without the skinny kernel agree
 * exactly on every tensor. Returns the fused result and how many of its kernels are paired skinny ones.
 */
async function checkSkinnyPair(
  family: Family,
  t: Record<string, TensorDecl>,
  launches: readonly LaunchDecl[],
): Promise<{ plain: ListResult; fused: ListResult; skinnyPairs: number }> {
  const fusedBackend = backend(`${family} fused`);
  const { result, wgsl } = await kernelsUsed(fusedBackend, () =>
    checkFusion(backend(`${family} plain`), fusedBackend, t, launches),
  );
  const reference = await runList(backend(REFERENCE), t, launches);
  bitEqual(`${family} unfused vs fused`, result.plain, result.fused);
  bitEqual(`${family} fused vs register without skinny`, reference, result.fused);
  const skinnyPairs = wgsl.filter((w) => w.includes('// skinny matmul') && w.includes('paired')).length;
  // The paired kernels use the family's loads (shuffles or plain), like its unpaired ones.
  for (const w of wgsl)
    if (w.includes('paired')) expect(w.includes('subgroupShuffle')).toBe(FAMILIES[family].subgroups);
  return { ...result, skinnyPairs };
}

const mm = (transA = false, transB = false) => ({ transA, transB });

/** LoRA's forward at a decode step: x W + b, then s (x A^T) B^T added; M rows, a long N. */
const loraDecode = (M: number): [Record<string, TensorDecl>, LaunchDecl[]] => [
  {
    x: { shape: [M, 67] },
    w: { shape: [67, 150], std: 0.3 },
    bias: { shape: [150] },
    la: { shape: [5, 67], std: 0.3 },
    lb: { shape: [150, 5], std: 0.3 },
    y: { shape: [M, 150] },
    u: { shape: [M, 5] },
    d: { shape: [M, 150] },
  },
  [
    L('matmul', ['x', 'w'], 'y', mm()),
    L('add', ['y', 'bias'], 'y'),
    L('matmul', ['x', 'la'], 'u', mm(false, true)),
    L('matmul', ['u', 'lb'], 'd', mm(false, true)),
    L('scale', ['d'], 'd', { s: 2.5 }),
    L('add', ['y', 'd'], 'y'),
  ],
];

describe.each(Object.keys(FAMILIES) as Family[])('skinny matmul pairs, %s', (family) => {
  it.each([1, 3, 8])(
    "LoRA's forward at a decode step of %i rows: base and low-rank product in one skinny kernel",
    async (M) => {
      const [t, launches] = loraDecode(M);
      const { plain, fused, skinnyPairs } = await checkSkinnyPair(family, t, launches);
      expect(plain.dispatches).toBe(6);
      expect(fused.fusedLaunches).toBe(4); // the bias add, the second matmul, its scale and the sum
      expect(fused.dispatches).toBe(2); // x A^T alone (the pair reads it), then one kernel
      expect(skinnyPairs).toBe(1);
    },
  );

  it("Llama's gate and up projections at 3 rows (transposed weights): silu(x Wg^T) * (x Wu^T)", async () => {
    const t: Record<string, TensorDecl> = {
      x: { shape: [3, 41] },
      wg: { shape: [133, 41], std: 0.3 },
      wu: { shape: [133, 41], std: 0.3 },
      g: { shape: [3, 133] },
      u: { shape: [3, 133] },
      h: { shape: [3, 133] },
    };
    const launches = [
      L('matmul', ['x', 'wg'], 'g', mm(false, true)),
      L('matmul', ['x', 'wu'], 'u', mm(false, true)),
      L('unary', ['g'], 'h', { fn: 'silu' }),
      L('mul', ['h', 'u'], 'h'),
    ];
    const { fused, skinnyPairs } = await checkSkinnyPair(family, t, launches);
    expect(fused.dispatches).toBe(1);
    expect(skinnyPairs).toBe(1);
  });

  it('few columns (the short side N), batched, every transpose, different K, bias and scale', async () => {
    for (const [tA, tB, tA2, tB2] of [
      [false, false, true, true],
      [true, true, false, false],
      [false, true, true, false],
    ]) {
      // Outputs [2, 131, 3]: side 'N'; a and b batched (no folding), K = 19 and K2 = 6.
      const t: Record<string, TensorDecl> = {
        a: { shape: tA ? [2, 19, 131] : [2, 131, 19] },
        b: { shape: tB ? [2, 3, 19] : [2, 19, 3] },
        a2: { shape: tA2 ? [2, 6, 131] : [2, 131, 6] },
        b2: { shape: tB2 ? [2, 3, 6] : [2, 6, 3] },
        bias: { shape: [3] },
        o1: { shape: [2, 131, 3] },
        o2: { shape: [2, 131, 3] },
        z: { shape: [2, 131, 3] },
      };
      const launches = [
        L('matmul', ['a', 'b'], 'o1', mm(tA, tB)),
        L('matmul', ['a2', 'b2'], 'o2', mm(tA2, tB2)),
        L('add', ['o1', 'bias'], 'o1'),
        L('scale', ['o2'], 'o2', { s: -0.75 }),
        L('mul', ['o1', 'o2'], 'z'),
      ];
      const { fused, skinnyPairs } = await checkSkinnyPair(family, t, launches);
      expect(fused.dispatches, `transposes ${[tA, tB, tA2, tB2]}`).toBe(1);
      expect(skinnyPairs, `transposes ${[tA, tB, tA2, tB2]}`).toBe(1);
    }
  });

  it('8 rows with a long K on one product and K = 1 on the other, the second output read afterwards', async () => {
    const t: Record<string, TensorDecl> = {
      a: { shape: [8, 300], std: 0.2 },
      b: { shape: [300, 97], std: 0.2 },
      a2: { shape: [8, 1] },
      b2: { shape: [1, 97] },
      o1: { shape: [8, 97] },
      o2: { shape: [8, 97] },
      s: { shape: [1] },
    };
    const launches = [
      L('matmul', ['a', 'b'], 'o1', mm()),
      L('matmul', ['a2', 'b2'], 'o2', mm()),
      L('add', ['o1', 'o2'], 'o1'),
      L('sum_all', ['o2'], 's'),
    ];
    const { fused, skinnyPairs } = await checkSkinnyPair(family, t, launches);
    expect(fused.fusedLaunches).toBe(2);
    expect(skinnyPairs).toBe(1);
  });

  it('one product the skinny kernel takes and one it does not (same element count) do not pair', async () => {
    // y is [8, 72] (skinny: 8 rows, 9x longer), d is [24, 24] (square: tiles); the add reads d as [8, 72].
    const t: Record<string, TensorDecl> = {
      x: { shape: [8, 30] },
      w: { shape: [30, 72], std: 0.3 },
      p: { shape: [24, 11] },
      q: { shape: [11, 24], std: 0.3 },
      y: { shape: [8, 72] },
      d: { shape: [24, 24] },
    };
    const launches = [
      L('matmul', ['x', 'w'], 'y', mm()),
      L('matmul', ['p', 'q'], 'd', mm()),
      L('add', ['y', { name: 'd', shape: [8, 72] }], 'y'),
    ];
    const { fused, skinnyPairs } = await checkSkinnyPair(family, t, launches);
    expect(fused.fusedLaunches).toBe(1); // only the add, folded into the second matmul
    expect(skinnyPairs).toBe(0);
  });
});
