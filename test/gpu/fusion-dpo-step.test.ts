/**
 * The whole tiny DPO step (bench's `tiny` case: ~1M-param GPT-2, full fine-tuning, batch 8 x 64)
 * on WebGPU (SwiftShader here) with the fusion pass: the same losses and grad norms as the CPU
 * backend, far fewer dispatches than one kernel per launch (issue 15's target: <= 200), and still
 * one queue submission per optimizer step. Dispatch counts are exact on any adapter; times are not
 * measured here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, HYPER } from '../../bench/cases.ts';
import { buildDpoStep } from '../../bench/orchard-step.ts';
import { makeWorkload } from '../../bench/workload.ts';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { makeGpuBackend } from './webgpu-helpers.ts';

const STEPS = 2;
/** A larger step than the bench's so the second step's loss differs clearly from the first. */
const STEP_HYPER = { ...HYPER, lr: 1e-2, maxGradNorm: 1 };

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

interface StepStats {
  values: number[];
  dispatches: number;
  submissions: number;
  programRuns: number;
}

async function dpoSteps(backend: Backend, steps: number): Promise<StepStats> {
  const w = makeWorkload(CASES.tiny);
  const { g, pg, store, feeds } = buildDpoStep(backend, w);
  const train = compileTrainStep(g, pg.loss, [], backend, store, { trainable: w.trainable });
  const counters = () => ({
    ...((backend as Partial<WebGPUBackend>).counters ?? { dispatches: 0, submissions: 0, programRuns: 0 }),
  });
  const values: number[] = [];
  const last = { dispatches: 0, submissions: 0, programRuns: 0 };
  for (let s = 0; s < steps; s++) {
    const before = counters();
    const r = await train.step(feeds, STEP_HYPER);
    const after = counters();
    last.dispatches = after.dispatches - before.dispatches;
    last.submissions = after.submissions - before.submissions;
    last.programRuns = after.programRuns - before.programRuns;
    values.push(r.loss, r.gradNorm as number);
  }
  train.dispose();
  store.dispose();
  return { values, ...last };
}

describe('the tiny DPO step with fusion', () => {
  it('gives the CPU backend losses and grad norms in at most 200 dispatches and one submission per step', async () => {
    const want = await dpoSteps(new CpuBackend(), STEPS);
    const got = await dpoSteps(fused, STEPS);
    const unfused = await dpoSteps(plain, 1);
    for (let i = 0; i < want.values.length; i++) {
      expect(Math.abs(got.values[i] - want.values[i]), `value ${i}`).toBeLessThanOrEqual(
        1e-5 + 1e-4 * Math.abs(want.values[i]),
      );
    }
    expect(Math.abs(want.values[2] - want.values[0])).toBeGreaterThan(1e-3); // the step changed the loss
    console.log(
      `tiny DPO step on ${fused.matmul}/${fused.rows}: ${unfused.dispatches} dispatches unfused, ${got.dispatches} fused`,
    );
    expect(got.dispatches).toBeLessThanOrEqual(200);
    expect(got.dispatches).toBeLessThan(unfused.dispatches / 2);
    expect(got.programRuns).toBe(1);
    expect(got.submissions).toBe(1);
  });
});
