/**
 * Fused causal attention's WGSL kernels (forward, row statistics, dQ, dK, dV) against the CPU
 * backend, in both row strategies (keys staged in workgroup memory, or read from storage), on odd
 * shapes: grouped-query heads, right padding, a fully masked query row, sequences longer than a
 * key block and than a workgroup's rows, and decode-shaped Tq < Tk.
 */
import { describe, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { RowStrategy } from '../../src/engine/backends/webgpu/index.ts';
import { Graph } from '../../src/engine/graph.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { type AttentionShape, flashAttentionCases } from './flash-attention-cases.ts';
import { checkAgainstCpu, expectClose, gpuBackendPerVariant, LOOSE, numel, Rng } from './webgpu-helpers.ts';

const STRATEGIES: RowStrategy[] = ['workgroup', 'thread'];
const backendFor = gpuBackendPerVariant(STRATEGIES, (rows) => ({ rows }));

const SHAPES: [string, AttentionShape][] = [
  ['T=13, D=7, H=6, Hkv=2, padding', { B: 2, H: 6, Hkv: 2, Tq: 13, Tk: 13, D: 7, lengths: [13, 8] }],
  [
    'T=13, D=7, H=6, Hkv=3, fully masked row',
    { B: 2, H: 6, Hkv: 3, Tq: 13, Tk: 13, D: 7, lengths: [10, 13], leadingPad: true },
  ],
  [
    'T=150 (several key blocks and row blocks), D=5, H=4, Hkv=2',
    { B: 2, H: 4, Hkv: 2, Tq: 150, Tk: 150, D: 5, lengths: [150, 91] },
  ],
  ['T=45, D=64 (a real head size), H=2, Hkv=1', { B: 1, H: 2, Hkv: 1, Tq: 45, Tk: 45, D: 64, lengths: [39] }],
  ['decode-shaped Tq=3, Tk=40', { B: 2, H: 4, Hkv: 2, Tq: 3, Tk: 40, D: 6, lengths: [40, 33] }],
];

for (const rows of STRATEGIES) {
  describe(`flash attention WGSL vs CPU (${rows})`, () => {
    SHAPES.forEach(([name, shape], n) => {
      it(name, async () => {
        for (const c of flashAttentionCases(new Rng(40 + n), shape))
          await checkAgainstCpu(backendFor(rows), c, LOOSE, `${c.op} ${name}`);
      });
    });
  });
}

/**
 * A compiled graph (forward, statistics and the three gradients in one program, where the WebGPU
 * backend may fuse or merge dispatches) gives the CPU backend's output and gradients.
 */
async function gradsOn(backend: Backend, seed: number) {
  const rng = new Rng(seed);
  const [B, H, Hkv, T, D] = [2, 6, 2, 77, 16];
  const g = new Graph();
  const q = g.param('q', [B, H, T, D]);
  const k = g.param('k', [B, Hkv, T, D]);
  const v = g.param('v', [B, Hkv, T, D]);
  const out = g.flashAttention(q, k, v, g.input('mask', [B, T]), 0.3);
  const store = new ParamStore(backend);
  store.addFromGraph(g, (_name, shape) => rng.normals(numel(shape), 1.2));
  const R = rng.normals(numel(out.shape));
  const mask = new Float32Array(B * T).fill(1);
  mask.fill(0, T + 50);
  const step = compileTrainStep(g, out, [out], backend, store, { trainable: ['q', 'k', 'v'] });
  const { grads, outputs } = await step.grads({ mask }, { lossScale: R });
  step.dispose();
  return [outputs[0], ...['q', 'k', 'v'].map((n) => grads.get(n) as Float32Array)];
}

describe('flash attention in a compiled training graph', () => {
  for (const rows of STRATEGIES) {
    it(`WebGPU (${rows}) output and q, k, v gradients match the CPU backend`, async () => {
      const want = await gradsOn(new CpuBackend(), 8);
      const got = await gradsOn(backendFor(rows), 8);
      for (const [i, name] of ['out', 'dq', 'dk', 'dv'].entries()) expectClose(got[i], want[i], LOOSE, name);
    });
  }
});

describe('flash attention WGSL with tensors split across storage bindings', () => {
  // 4 KiB segments: q, dOut and the output of [2, 6, 13, 7] (1092 floats) span 2 bindings each.
  const split = gpuBackendPerVariant(['split'], () => ({ maxSegmentBytes: 4096 }));
  it('T=13, D=7, H=6, Hkv=2 against the CPU backend', async () => {
    const shape = { B: 2, H: 6, Hkv: 2, Tq: 13, Tk: 13, D: 7, lengths: [13, 8] };
    for (const c of flashAttentionCases(new Rng(70), shape))
      await checkAgainstCpu(split('split'), c, LOOSE, `${c.op} split`);
  });
});
