/**
 * Peak memory of a step on the CPU backend, which keeps no accounts of its own (its tensors are
 * typed arrays the garbage collector frees): a CpuBackend that counts the bytes of every tensor it
 * allocates and the ones released with free(), and a runner that reports the peak of those live
 * bytes as the run's peak. That is what the WebGPU buffer pool's peak measures on a GPU (params,
 * gradients, AdamW state, inputs, planned slots), without the pool's size-class rounding; the
 * JavaScript heap, the gemm threads' scratch and host copies of the weights are not counted.
 */
import type { DeviceTensor } from '../src/engine/backend.ts';
import { CpuBackend, type CpuBackendOptions } from '../src/engine/backends/cpu/backend.ts';
import { ELEMENT_BYTES } from '../src/engine/memory-accounting.ts';
import type { DType } from '../src/engine/ops.ts';
import type { EngineId, StepCounts } from './cases.ts';
import { runOrchard } from './orchard-step.ts';
import type { Host, RunResult } from './result.ts';
import type { Workload } from './workload.ts';

export class MemoryCountingCpuBackend extends CpuBackend {
  liveBytes = 0;
  peakBytes = 0;
  private readonly sizes = new WeakMap<DeviceTensor, number>();

  constructor(opts: CpuBackendOptions = {}) {
    super(opts);
  }

  override alloc(numel: number, dtype: DType): DeviceTensor {
    const t = super.alloc(numel, dtype);
    const bytes = numel * ELEMENT_BYTES;
    this.sizes.set(t, bytes);
    this.liveBytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return t;
  }

  override free(t: DeviceTensor): void {
    const bytes = this.sizes.get(t);
    if (bytes !== undefined) {
      this.liveBytes -= bytes;
      this.sizes.delete(t);
    }
    super.free(t);
  }
}

export const CPU_PEAK_SOURCE =
  'CPU backend: peak bytes of the tensors it held (allocated minus freed; params, grads, AdamW state, inputs, planned slots)';

/** Orchard's step on the CPU backend (`threads`: default all cores up to 8), with the backend's peak bytes. */
export async function runOrchardCpuCounted(
  engine: EngineId,
  host: Host,
  w: Workload,
  steps: StepCounts,
  opts: { rowLogps: boolean; threads?: number },
): Promise<RunResult> {
  const backend = new MemoryCountingCpuBackend(opts.threads === undefined ? {} : { threads: opts.threads });
  await backend.whenThreadsReady();
  const r = await runOrchard(engine, host, backend, w, steps, { rowLogps: opts.rowLogps });
  return { ...r, peakBytes: backend.peakBytes, peakSource: CPU_PEAK_SOURCE };
}
