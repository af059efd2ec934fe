/**
 * A run trained with each kernel the spec can force gives the same losses as its counterpart, and
 * really runs the kernel it names: the CPU backend's per-op profile must show the chunked head's
 * ops (lm_head_logprobs and its gradients) under lmHead 'chunked' and none under 'unfused', the
 * flash-attention ops under attention 'fused' and softmax_causal under 'unfused'.
 *
 * Tolerance. The pairs of kernels compute the same function in a different order: the chunked head
 * sums the log-sum-exp online over vocabulary chunks, fused attention its softmax over key blocks.
 * On orchard-tiny (vocabulary 1,024, rows of at most 48 tokens) each log-prob then differs by a few
 * f32 ulps of the logits (~1e-6 nats); a DPO-family loss has slope at most β = 0.1 in each
 * log-prob sum of ~48 tokens, and Adam's first steps (m / sqrt(v)) move the adapters by the sign of
 * the gradient, which such a difference cannot flip except where a gradient is ~0. So the losses of
 * 6 steps are asserted equal within 1e-5 (measured 8.3e-7 for the head, 1.3e-6 for attention), far below the 1e-2 a
 * wrong kernel (a different mask or a missing token) would give at step 1 already.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { AttentionMode, LmHeadMode } from '../../src/engine/index.ts';
import { runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { withDefaults } from '../../src/lab/spec.ts';
import { f16ParitySpec, maxLossGap } from './f16-parity.ts';
import { ROOT } from './small-experiment.ts';

async function train(kernels: { attention?: AttentionMode; lmHead?: LmHeadMode }) {
  const backend = new CpuBackend({ profile: true, threads: 1 });
  const spec = withDefaults({ ...f16ParitySpec('f32'), name: 'kernels', ...kernels });
  const logs: string[] = [];
  const resolvers = await nodeResolvers({ root: ROOT });
  const result = await runExperiment(spec, { backend, resolvers, samples: 0 }, (e) => {
    if (e.kind === 'log') logs.push(e.message);
  });
  if (result.status !== 'completed') throw new Error(`kernel experiment ${result.status}`);
  const calls = new Map(backend.profile().map((p) => [p.op, p.calls]));
  backend.dispose();
  return { losses: result.runs.map((r) => r.metrics.map((m) => m.loss)), calls, logs: logs.join('\n') };
}

describe('training under the kernels the spec forces (CPU backend)', () => {
  it("lmHead 'chunked' and 'unfused' train to the same losses, each through its own kernel", async () => {
    const chunked = await train({ lmHead: 'chunked' });
    const unfused = await train({ lmHead: 'unfused' });
    const gap = maxLossGap(chunked.losses, unfused.losses);
    console.log(`lmHead chunked vs unfused: max |Δ loss| over 2 runs x 6 steps = ${gap.toExponential(2)}`);
    expect(chunked.losses.flat().length).toBe(12);
    expect(gap).toBeLessThan(1e-5);
    for (const op of ['lm_head_logprobs', 'lm_head_logprobs_grad_hidden']) {
      expect(chunked.calls.get(op), op).toBeGreaterThan(0);
      expect(unfused.calls.get(op), op).toBeUndefined();
    }
    expect(chunked.calls.get('token_logprobs')).toBeUndefined();
    expect(unfused.calls.get('token_logprobs')).toBeGreaterThan(0);
    expect(chunked.logs).toMatch(/Kernels chosen by the spec: LM head chunked/);
  }, 120_000);

  it("attention 'fused' and 'unfused' train to the same losses, each through its own kernel", async () => {
    const fused = await train({ attention: 'fused' });
    const unfused = await train({ attention: 'unfused' });
    const gap = maxLossGap(fused.losses, unfused.losses);
    console.log(`attention fused vs unfused: max |Δ loss| over 2 runs x 6 steps = ${gap.toExponential(2)}`);
    expect(fused.losses.flat().length).toBe(12);
    expect(gap).toBeLessThan(1e-5);
    for (const op of ['flash_attention', 'flash_attention_grad_q']) {
      expect(fused.calls.get(op), op).toBeGreaterThan(0);
      expect(unfused.calls.get(op), op).toBeUndefined();
    }
    expect(fused.calls.get('softmax_causal')).toBeUndefined();
    expect(unfused.calls.get('softmax_causal')).toBeGreaterThan(0);
    expect(fused.logs).toMatch(/Kernels chosen by the spec: attention fused/);
  }, 120_000);
});
