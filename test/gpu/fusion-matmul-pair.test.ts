/**
 * Matmul pairs (src/engine/backends/webgpu/fusion/matmul-pair.ts): a second matmul computed inside
 * another's kernel, with the epilogue chain combining both. Each case runs on the CPU backend, on
 * WebGPU unfused and fused (fusion-harness.ts checks every tensor against the CPU), in both matmul
 * families; the fused program must also equal the unfused one bit for bit, since the pair performs
 * the same fmas in the same order. Hazard cases must not pair (their fused-launch count is what the
 * other fusions alone give).
 */
import { describe, expect, it } from 'vitest';
import type { WebGPUBackendOptions } from '../../src/engine/backends/webgpu/index.ts';
import { checkFusion, L, type LaunchDecl, type ListResult, type TensorDecl } from './fusion-harness.ts';
import { gpuBackendPerVariant } from './webgpu-helpers.ts';

const FAMILIES = ['register', 'tiled 64x64', 'tiled 128x64', 'tiled 64x128-v4'] as const;
type Family = (typeof FAMILIES)[number];
const VARIANTS = FAMILIES.flatMap((f) => [`${f} plain`, `${f} fused`] as const);

const options = (v: string): WebGPUBackendOptions => {
  const tiled = v.startsWith('tiled');
  return {
    fusion: v.endsWith('fused'),
    matmul: tiled ? 'tiled' : 'register',
    ...(tiled ? { matmulTile: v.split(' ')[1] } : {}),
  } as WebGPUBackendOptions;
};
const backend = gpuBackendPerVariant(VARIANTS, options);

/** checkFusion, plus: fused and unfused WebGPU agree exactly on every tensor. */
async function checkPair(
  family: Family,
  t: Record<string, TensorDecl>,
  launches: readonly LaunchDecl[],
): Promise<{ plain: ListResult; fused: ListResult }> {
  const r = await checkFusion(backend(`${family} plain`), backend(`${family} fused`), t, launches);
  for (const [name, want] of r.plain.values) {
    const got = r.fused.values.get(name) as Float32Array;
    const at = want.findIndex((x, i) => !Object.is(x, got[i]));
    expect(at, `${family}: tensor "${name}" [${at}] fused ${got[at]} vs unfused ${want[at]}`).toBe(-1);
  }
  return r;
}

const mm = (transA = false, transB = false) => ({ transA, transB });

/** LoRA's forward as layers.ts emits it: x W + b, then s (x A^T) B^T added (odd M, N, K and rank). */
const loraForward = (): [Record<string, TensorDecl>, LaunchDecl[]] => [
  {
    x: { shape: [3, 23, 67] },
    w: { shape: [67, 70], std: 0.3 },
    bias: { shape: [70] },
    la: { shape: [5, 67], std: 0.3 },
    lb: { shape: [70, 5], std: 0.3 },
    y: { shape: [3, 23, 70] },
    u: { shape: [3, 23, 5] },
    d: { shape: [3, 23, 70] },
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

/** LoRA's backward as autodiff emits it: du A, then the weight gradient dA, then dy W^T, summed. */
const loraBackward = (): [Record<string, TensorDecl>, LaunchDecl[]] => [
  {
    g: { shape: [3, 23, 70] },
    gs: { shape: [3, 23, 70] },
    x: { shape: [3, 23, 67] },
    w: { shape: [67, 70], std: 0.3 },
    la: { shape: [5, 67], std: 0.3 },
    lb: { shape: [70, 5], std: 0.3 },
    du: { shape: [3, 23, 5] },
    dxl: { shape: [3, 23, 67] },
    da: { shape: [5, 67] },
    dxb: { shape: [3, 23, 67] },
  },
  [
    L('scale', ['g'], 'gs', { s: 2.5 }),
    L('matmul', ['gs', 'lb'], 'du', mm()),
    L('matmul', ['du', 'la'], 'dxl', mm()),
    L(
      'matmul',
      [
        { name: 'du', shape: [69, 5] },
        { name: 'x', shape: [69, 67] },
      ],
      'da',
      mm(true, false),
    ),
    L('matmul', ['g', 'w'], 'dxb', mm(false, true)),
    L('add', ['dxl', 'dxb'], 'dxl'),
  ],
];

describe.each(FAMILIES)('matmul pairs on the %s kernel', (family) => {
  it("LoRA's forward: the low-rank product, its scale and both adds ride in the base matmul", async () => {
    const [t, launches] = loraForward();
    const { plain, fused } = await checkPair(family, t, launches);
    expect(plain.dispatches).toBe(6);
    // x A^T alone (the pair reads it), then one kernel for the rest.
    expect(fused.dispatches).toBe(2);
    expect(fused.fusedLaunches).toBe(4);
  });

  it("LoRA's backward: du A and dy W^T summed in one kernel, over the weight gradient in between", async () => {
    const [t, launches] = loraBackward();
    const { plain, fused } = await checkPair(family, t, launches);
    // The pair takes du A and the add into dy W^T's kernel; the rest stays as it was.
    expect(fused.fusedLaunches).toBe(2);
    expect(fused.dispatches).toBeLessThanOrEqual(plain.dispatches - 2);
  });

  it('batched products with every transpose, different K, a broadcast bias and a product of both', async () => {
    for (const [tA, tB, tA2, tB2] of [
      [false, false, true, true],
      [true, true, false, false],
      [false, true, true, false],
    ]) {
      const t: Record<string, TensorDecl> = {
        a: { shape: tA ? [2, 13, 67] : [2, 67, 13] },
        b: { shape: tB ? [2, 66, 13] : [2, 13, 66] },
        a2: { shape: tA2 ? [2, 9, 67] : [2, 67, 9] },
        b2: { shape: tB2 ? [2, 66, 9] : [2, 9, 66] },
        bias: { shape: [66] },
        o1: { shape: [2, 67, 66] },
        o2: { shape: [2, 67, 66] },
        z: { shape: [2, 67, 66] },
      };
      const launches = [
        L('matmul', ['a', 'b'], 'o1', mm(tA, tB)),
        L('matmul', ['a2', 'b2'], 'o2', mm(tA2, tB2)),
        L('add', ['o1', 'bias'], 'o1'),
        L('mul', ['o1', 'o2'], 'z'),
        L('sub', ['z', 'o2'], 'z'),
      ];
      const { fused } = await checkPair(family, t, launches);
      expect(fused.dispatches, `transposes ${[tA, tB, tA2, tB2]}`).toBe(1);
    }
  });

  it('LoRA forward with every contiguous dimension a multiple of 4 (vec4 loads on -v4 tiles)', async () => {
    const [t, launches] = loraForward();
    const shapes: Record<string, number[]> = {
      x: [3, 23, 20],
      w: [20, 68],
      bias: [68],
      la: [4, 20],
      lb: [68, 4],
      y: [3, 23, 68],
      u: [3, 23, 4],
      d: [3, 23, 68],
    };
    for (const [name, shape] of Object.entries(shapes)) t[name] = { ...t[name], shape };
    const { fused } = await checkPair(family, t, launches);
    expect(fused.fusedLaunches).toBe(4);
  });

  it('a K longer than one tile slice and a second K shorter than one', async () => {
    const t: Record<string, TensorDecl> = {
      a: { shape: [70, 41] },
      b: { shape: [41, 66], std: 0.2 },
      a2: { shape: [70, 3] },
      b2: { shape: [3, 66] },
      o1: { shape: [70, 66] },
      o2: { shape: [70, 66] },
    };
    const launches = [
      L('matmul', ['a', 'b'], 'o1', mm()),
      L('matmul', ['a2', 'b2'], 'o2', mm()),
      L('add', ['o1', 'o2'], 'o1'),
    ];
    const { fused } = await checkPair(family, t, launches);
    expect(fused.dispatches).toBe(1);
  });
});

describe('what keeps two matmuls apart', () => {
  const family: Family = 'register';
  const base = (): Record<string, TensorDecl> => ({
    x: { shape: [69, 19] },
    w: { shape: [19, 70], std: 0.3 },
    u: { shape: [69, 5] },
    lb: { shape: [5, 70], std: 0.3 },
    y: { shape: [69, 70] },
    d: { shape: [69, 70] },
    e: { shape: [69, 70] },
    s: { shape: [1] },
  });

  it("the second matmul's output, still read later, is stored by the pair's kernel", async () => {
    const launches = [
      L('matmul', ['x', 'w'], 'y', mm()),
      L('matmul', ['u', 'lb'], 'd', mm()),
      L('add', ['y', 'd'], 'y'),
      L('sum_all', ['d'], 's'),
    ];
    const { fused } = await checkPair(family, base(), launches);
    expect(fused.fusedLaunches).toBe(2);
  });

  it('output layouts that differ (same element count) do not pair', async () => {
    const t = { ...base(), lb: { shape: [5, 69] }, u: { shape: [70, 5] }, d: { shape: [70, 69] } };
    const launches = [
      L('matmul', ['x', 'w'], 'y', mm()),
      L('matmul', ['u', 'lb'], 'd', mm()),
      L('add', ['y', { name: 'd', shape: [69, 70] }], 'y'),
    ];
    const { fused } = await checkPair(family, t, launches);
    expect(fused.fusedLaunches).toBe(1); // only the add, folded into the second matmul
  });

  it("a write to the first matmul's input between them does not pair", async () => {
    const launches = [
      L('matmul', ['x', 'w'], 'y', mm()),
      L('scale', ['x'], 'x', { s: -2 }),
      L('matmul', ['u', 'lb'], 'd', mm()),
      L('add', ['y', 'd'], 'y'),
    ];
    const { fused } = await checkPair(family, base(), launches);
    expect(fused.fusedLaunches).toBe(1);
  });

  it("a read of the first matmul's output between them does not pair", async () => {
    const launches = [
      L('matmul', ['x', 'w'], 'y', mm()),
      L('sum_all', ['y'], 's'),
      L('matmul', ['u', 'lb'], 'd', mm()),
      L('add', ['y', 'd'], 'y'),
    ];
    const { fused } = await checkPair(family, base(), launches);
    expect(fused.fusedLaunches).toBe(1);
  });

  it("a second matmul reading the first's output does not pair", async () => {
    const launches = [
      L('matmul', ['x', 'w'], 'y', mm()),
      L('matmul', ['y', { name: 'lb', shape: [70, 70] }], 'd', mm()),
      L('add', ['y', 'd'], 'e'),
    ];
    const t = { ...base(), lb: { shape: [70, 70], std: 0.2 } };
    const { fused } = await checkPair(family, t, launches);
    expect(fused.fusedLaunches).toBe(1); // only the add, folded into the second matmul
  });

  it("a chain launch computing the second matmul's input keeps them apart", async () => {
    const launches = [
      L('matmul', ['x', 'w'], 'y', mm()),
      L('unary', ['y'], 'e', { fn: 'gelu_tanh' }),
      L('matmul', ['e', { name: 'lb', shape: [70, 70] }], 'd', mm()),
      L('add', ['y', 'd'], 'y'),
    ];
    const t = { ...base(), lb: { shape: [70, 70], std: 0.2 } };
    const { fused } = await checkPair(family, t, launches);
    expect(fused.fusedLaunches).toBe(2); // GELU into the first matmul, the add into the second
  });

  it('a matmul whose operand a fused prologue computes (a position another fusion claimed) does not pair', async () => {
    const t = { ...base(), x0: { shape: [19, 69] } };
    const launches = [
      L('permute', ['x0'], 'x', { perm: [1, 0] }),
      L('matmul', ['x', 'w'], 'y', mm()),
      L('matmul', ['u', 'lb'], 'd', mm()),
      L('add', ['y', 'd'], 'y'),
      L('scale', ['x0'], 'x', { s: 0.5 }), // x is overwritten unread: the permute runs inside its consumer
    ];
    const { fused } = await checkPair(family, t, launches);
    expect(fused.fusedLaunches).toBe(2); // the permute (as a prologue) and the add (into the second matmul)
  });

  it('matmuls with a short side pair in the skinny kernel (more in fusion-matmul-pair-skinny.test.ts)', async () => {
    const t = { ...base(), w: { shape: [19, 4] }, lb: { shape: [5, 4] }, y: { shape: [69, 4] }, d: { shape: [69, 4] } };
    const launches = [
      L('matmul', ['x', 'w'], 'y', mm()),
      L('matmul', ['u', 'lb'], 'd', mm()),
      L('add', ['y', 'd'], 'y'),
    ];
    const { fused } = await checkPair(family, t, launches);
    expect(fused.fusedLaunches).toBe(2);
    expect(fused.dispatches).toBe(1);
  });
});
