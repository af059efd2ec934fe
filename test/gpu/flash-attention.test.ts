/**
 * Fused causal attention's WGSL kernels (forward, row statistics, dQ, dK, dV) against the CPU
 * backend, in both row strategies (keys staged in workgroup memory, or read from storage), on odd
 * shapes: grouped-query heads, right padding, a fully masked query row, sequences longer than a
 * key block and than a workgroup's rows, and decode-shaped Tq < Tk.
 */
import { describe, it } from 'vitest';
import type { RowStrategy } from '../../src/engine/backends/webgpu/index.ts';
import { type AttentionShape, flashAttentionCases } from './flash-attention-cases.ts';
import { checkAgainstCpu, gpuBackendPerVariant, LOOSE, Rng } from './webgpu-helpers.ts';

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
  ['T=70, D=64 (a real head size), H=2, Hkv=1', { B: 1, H: 2, Hkv: 1, Tq: 70, Tk: 70, D: 64, lengths: [61] }],
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
