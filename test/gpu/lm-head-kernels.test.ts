/**
 * The chunked LM head's WGSL kernels (ops/lm-head/wgsl.ts) against the CPU backend on odd shapes,
 * in both row strategies (workgroup tiles for GPUs, a thread per row for CPU adapters) and with
 * tensors split into several storage bindings: partial row tiles (N not a multiple of 8), hidden
 * sizes over one depth chunk (64) and over one workgroup's width, vocabularies that do not divide
 * by the workgroup, padding targets and targets in the last vocabulary row.
 */
import { describe, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackendOptions } from '../../src/engine/backends/webgpu/index.ts';
import {
  checkAgainstCpu,
  f32,
  gpuBackendPerVariant,
  type HostTensor,
  i32,
  LOOSE,
  Rng,
  randn,
  runCase,
} from './webgpu-helpers.ts';

type Variant = 'workgroup' | 'thread' | 'split';
const VARIANTS: Variant[] = ['workgroup', 'thread', 'split'];
const OPTIONS: Record<Variant, WebGPUBackendOptions> = {
  workgroup: { rows: 'workgroup' },
  thread: { rows: 'thread' },
  // 32 KiB segments: the weight spans 2-3 bindings in every kernel.
  split: { rows: 'workgroup', maxSegmentBytes: 32768 },
};
const backendFor = gpuBackendPerVariant(VARIANTS, (v) => OPTIONS[v]);

const rng = new Rng(41);
const cpu = new CpuBackend();

function targets(N: number, V: number): HostTensor {
  const t = Array.from({ length: N }, () => rng.int(V));
  t[0] = V - 1;
  if (N > 2) t[2] = -100;
  return i32([N], t);
}

const SHAPES: [number, number, number][] = [
  [7, 13, 1031], // N, d, V: the odd shape; V is 4 workgroups + 7
  [9, 70, 300], // a partial second row tile; d over one depth chunk
  [3, 300, 37], // d over one workgroup's width (several output columns per thread)
];

for (const variant of VARIANTS) {
  describe(`lm_head kernels (${variant})`, () => {
    for (const [N, d, V] of SHAPES) {
      it(`N=${N}, d=${d}, V=${V}: log-probs, dhidden, dweight`, async () => {
        const gpu = backendFor(variant);
        const hidden = randn(rng, [N, d], 1 / Math.sqrt(d));
        const weight = randn(rng, [V, d], 2);
        const t = targets(N, V);
        const forward = { op: 'lm_head_logprobs' as const, attrs: {}, inputs: [hidden, weight, t], out: [N] };
        await checkAgainstCpu(gpu, forward, LOOSE, `${variant} lm_head_logprobs`);
        // The gradients read the forward's log-probs: the CPU's, so both backends see the same inputs.
        const [logp] = await runCase(cpu, forward);
        const g = randn(rng, [N]);
        const inputs = [hidden, weight, t, f32([N], logp as Float32Array), g];
        await checkAgainstCpu(
          gpu,
          { op: 'lm_head_logprobs_grad_hidden', attrs: {}, inputs, out: [N, d], outFill: 7 },
          LOOSE,
          `${variant} lm_head_logprobs_grad_hidden`,
        );
        await checkAgainstCpu(
          gpu,
          { op: 'lm_head_logprobs_grad_weight', attrs: {}, inputs, out: [V, d], outFill: 7 },
          LOOSE,
          `${variant} lm_head_logprobs_grad_weight`,
        );
      });
    }
  });
}
