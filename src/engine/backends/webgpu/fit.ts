/**
 * Will a model fit? WebGPU does not report device memory, so the check uses what it does report
 * (buffer and binding limits) plus an optional budget from the caller (e.g. navigator.deviceMemory
 * in a browser, or a user setting), and says which number is over.
 */

export interface FitLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxStorageBuffersPerShaderStage: number;
  /** Bytes per tensor segment this backend uses. */
  readonly segmentBytes: number;
  /** Caller-supplied budget for all device allocations, if known. */
  readonly memoryBudgetBytes?: number;
}

export interface FitEstimate {
  readonly fits: boolean;
  readonly bytesNeeded: number;
  readonly largestTensorBytes: number;
  /** The largest single tensor the kernels can bind (segments x bindings a matmul can spare). */
  readonly maxTensorBytes: number;
  readonly memoryBudgetBytes: number | undefined;
  /** Human-readable verdict with the numbers. */
  readonly message: string;
}

const MB = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export function estimateFit(limits: FitLimits, bytesNeeded: number, largestTensorBytes = 0): FitEstimate {
  // A matmul binds three tensors, so each may span a third of the storage bindings a stage allows.
  const maxSegments = Math.max(1, Math.floor(limits.maxStorageBuffersPerShaderStage / 3));
  const maxTensorBytes = maxSegments * limits.segmentBytes;
  const problems: string[] = [];
  if (largestTensorBytes > maxTensorBytes) {
    problems.push(
      `its largest tensor needs ${MB(largestTensorBytes)} but this device can bind at most ${MB(maxTensorBytes)} per ` +
        `tensor (${maxSegments} x ${MB(limits.segmentBytes)} segments; maxStorageBufferBindingSize ` +
        `${MB(limits.maxStorageBufferBindingSize)}, maxBufferSize ${MB(limits.maxBufferSize)})`,
    );
  }
  const budget = limits.memoryBudgetBytes;
  if (budget !== undefined && bytesNeeded > budget) {
    problems.push(`it needs ${MB(bytesNeeded)} of device memory but the budget is ${MB(budget)}`);
  }
  const fits = problems.length === 0;
  const message = fits
    ? `fits: ${MB(bytesNeeded)} needed${budget !== undefined ? ` of a ${MB(budget)} budget` : ''}, largest tensor ${MB(largestTensorBytes)} (max ${MB(maxTensorBytes)})`
    : `does not fit: ${problems.join('; ')}. Use a smaller model, batch or sequence length.`;
  return { fits, bytesNeeded, largestTensorBytes, maxTensorBytes, memoryBudgetBytes: budget, message };
}
