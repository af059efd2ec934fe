/**
 * A tiny LoRA DPO step (the bench's tiny GPT-2 with LoRA r=8 on c_attn, c_fc and both c_proj) on
 * WebGPU (SwiftShader here), fused and unfused: LoRA's low-rank products ride in their base
 * matmuls' kernels (fusion/matmul-pair.ts), forward and backward. Losses and grad norms equal the
 * unfused program's exactly (and the CPU backend's within float tolerance), and the fused step uses
 * fewer dispatches than it did without matmul pairs: two per adapted linear layer fewer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, HYPER } from '../../bench/cases.ts';
import { buildDpoStep } from '../../bench/orchard-step.ts';
import { makeWorkload } from '../../bench/workload.ts';
import type { Backend, Launch } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { planMatmulPairs } from '../../src/engine/backends/webgpu/fusion/matmul-pair.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import type { KernelContext } from '../../src/engine/backends/webgpu/kernels/types.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';

const LORA_TINY = {
  ...CASES.tiny,
  lora: { r: 8, alpha: 16, targetModules: ['c_attn', 'c_fc', 'c_proj'] },
};
const STEP_HYPER = { ...HYPER, lr: 1e-2, maxGradNorm: 1 };
/**
 * Dispatches of this step with the fusion pass before matmul pairs existed (SwiftShader, 'register'
 * kernels); many pairs were already one dispatch through horizontal merging, so the gain is smaller
 * than the 31 pairs found (16 forward, 15 input gradients).
 */
const BEFORE_PAIRS = 186;

let fused: WebGPUBackend;
let plain: WebGPUBackend;
beforeAll(async () => {
  fused = await makeGpuBackend();
  plain = await makeGpuBackend({ fusion: false });
});
afterAll(() => {
  fused?.dispose();
  plain?.dispose();
});

async function loraSteps(
  backend: Backend,
  steps: number,
): Promise<{ values: number[]; dispatches: number; launches: Launch[][] }> {
  const w = makeWorkload(LORA_TINY);
  const { g, pg, store, feeds } = buildDpoStep(backend, w);
  const launches: Launch[][] = [];
  const compile = backend.compile.bind(backend);
  backend.compile = (list) => {
    launches.push([...list]);
    return compile(list);
  };
  const train = compileTrainStep(g, pg.loss, [], backend, store, { trainable: w.trainable });
  const dispatches = () => (backend as Partial<WebGPUBackend>).counters?.dispatches ?? 0;
  const values: number[] = [];
  let last = 0;
  for (let s = 0; s < steps; s++) {
    const before = dispatches();
    const r = await train.step(feeds, STEP_HYPER);
    last = dispatches() - before;
    values.push(r.loss, r.gradNorm as number);
  }
  backend.compile = compile;
  train.dispose();
  store.dispose();
  return { values, dispatches: last, launches };
}

describe('a tiny LoRA DPO step with matmul pairs', () => {
  it('keeps the unfused losses exactly in fewer dispatches', async () => {
    const want = await loraSteps(new CpuBackend(), 2);
    const got = await loraSteps(fused, 2);
    const unfused = await loraSteps(plain, 2);
    console.log(
      `tiny LoRA DPO step on ${fused.matmul}: ${unfused.dispatches} dispatches unfused, ${got.dispatches} fused ` +
        `(${BEFORE_PAIRS} before matmul pairs); values ${got.values.join(', ')}`,
    );
    expect(got.values).toEqual(unfused.values);
    for (let i = 0; i < want.values.length; i++) {
      expect(Math.abs(got.values[i] - want.values[i]), `value ${i}`).toBeLessThanOrEqual(
        1e-5 + 1e-4 * Math.abs(want.values[i]),
      );
    }
    expect(Math.abs(want.values[2] - want.values[0])).toBeGreaterThan(1e-3); // the step changed the loss
    expect(got.dispatches).toBeLessThan(BEFORE_PAIRS);
    // The pattern matches what the planner really emits: every adapted layer's forward, and its
    // input gradient wherever one is computed (all but the first layer's c_attn, whose input is
    // the embeddings' layernorm: nothing upstream trains).
    const ctx = { layout: fused.layout, limits: fused.limits, matmul: fused.matmul, rows: fused.rows };
    const pairs = got.launches.flatMap((l) => planMatmulPairs(l, ctx as unknown as KernelContext, new Set()));
    expect(pairs.length).toBe(4 * 4 + (4 * 4 - 1));
  });
});
