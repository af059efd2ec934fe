/**
 * Launch cases of every fused-attention op on one shape, with consistent inputs: the attention
 * output and the row statistics the gradient ops read come from the CPU kernels. No Node APIs:
 * the browser-worker kernel sweep uses these cases too.
 */
import { attentionGemms, flashAttention, flashAttentionStats } from '../../src/engine/ops/attention/cpu.ts';
import { type AttentionSizes, attentionDims } from '../../src/engine/ops/attention/index.ts';
import { f32, type HostTensor, type OpCase, type Rng, randn } from './webgpu-op-case.ts';

export interface AttentionShape extends AttentionSizes {
  /** Real tokens per batch row (right padding after them). */
  lengths: number[];
  /** Also mask key 0 of the last row, so its first query sees no key at all. */
  leadingPad?: boolean;
}

function maskOf(s: AttentionShape): HostTensor {
  const m = new Float32Array(s.B * s.Tk);
  for (let b = 0; b < s.B; b++)
    for (let j = 0; j < s.lengths[b]; j++) m[b * s.Tk + j] = s.leadingPad && b === s.B - 1 && j === 0 ? 0 : 1;
  return f32([s.B, s.Tk], m);
}

const view = (t: HostTensor) => ({ shape: t.shape, data: t.data as Float32Array });

/** flash_attention, its statistics and the three gradients, in that order. */
export function flashAttentionCases(rng: Rng, s: AttentionShape): OpCase[] {
  const q = randn(rng, [s.B, s.H, s.Tq, s.D], 1.5);
  const k = randn(rng, [s.B, s.Hkv, s.Tk, s.D], 1.5);
  const v = randn(rng, [s.B, s.Hkv, s.Tk, s.D]);
  const g = randn(rng, q.shape);
  const mask = maskOf(s);
  const scale = 1 / Math.sqrt(s.D) + 0.1;
  const dims = attentionDims('test', q, k, mask);
  const out = f32(q.shape, new Float32Array(q.data.length));
  const gemms = attentionGemms(s.D);
  flashAttention(dims, scale, gemms, [q, k, v, mask].map(view), view(out));
  const stats = f32([s.B, s.H, s.Tq, 2], new Float32Array(s.B * s.H * s.Tq * 2));
  flashAttentionStats(dims, scale, gemms, [q, k, mask, out, g].map(view), view(stats));
  const attrs = { scale };
  return [
    { op: 'flash_attention', attrs, inputs: [q, k, v, mask], out: q.shape, outFill: 9 },
    { op: 'flash_attention_stats', attrs, inputs: [q, k, mask, out, g], out: stats.shape, outFill: 9 },
    { op: 'flash_attention_grad_q', attrs, inputs: [q, k, v, mask, g, stats], out: q.shape, outFill: 9 },
    { op: 'flash_attention_grad_k', attrs, inputs: [q, k, v, mask, g, stats], out: k.shape, outFill: 9 },
    { op: 'flash_attention_grad_v', attrs, inputs: [q, k, mask, g, stats], out: k.shape, outFill: 9 },
  ];
}
