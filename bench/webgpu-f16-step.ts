/**
 * Orchard's WebGPU step under `precision: f16-weights` (frozen weights stored as f16 where the
 * adapter has shader-f16): a second Node row of the Llama-family cases on real GPUs, whose target ("Qwen2.5-0.5B LoRA step peak <= 3 GB") the f32 weights alone
 * (2 GB for Qwen2.5-0.5B) nearly exhaust.
 */
import { createWebGPUBackend } from '../src/engine/backends/webgpu/index.ts';
import { getNodeGPU } from '../src/engine/backends/webgpu/node-gpu.ts';
import { precisionNote } from '../src/engine/precision/index.ts';
import type { StepCounts } from './cases.ts';
import { runOrchard } from './orchard-step.ts';
import type { RunResult } from './result.ts';
import type { Workload } from './workload.ts';

export async function runWebgpuF16Weights(w: Workload, steps: StepCounts): Promise<RunResult> {
  const backend = await createWebGPUBackend(await getNodeGPU());
  try {
    const r = await runOrchard('orchard-webgpu', 'node', backend, w, steps, {
      rowLogps: false,
      precision: 'f16-weights',
    });
    const note = precisionNote('f16-weights', backend);
    return { ...r, variant: 'f16-weights', notes: note ? [...r.notes, note] : r.notes };
  } finally {
    backend.dispose();
  }
}
