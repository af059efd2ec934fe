/** The registry of CPU kernels, one per op a backend runs, gathered from the op families. */
import type { CpuKernels } from '../backends/cpu/kernel-kit.ts';
import type { KernelOp } from '../ops.ts';
import { adamwCpu } from './adamw/cpu.ts';
import { attentionCpu } from './attention/cpu.ts';
import { cacheCpu } from './cache/cpu.ts';
import { dropoutCpu } from './dropout/cpu.ts';
import { elementwiseCpu } from './elementwise/cpu.ts';
import { embeddingCpu } from './embedding/cpu.ts';
import { layoutCpu } from './layout/cpu.ts';
import { lmHeadCpu } from './lm-head/cpu.ts';
import { logprobsCpu } from './logprobs/cpu.ts';
import { matmulCpu } from './matmul/cpu.ts';
import { normCpu } from './norm/cpu.ts';
import { reduceCpu } from './reduce/cpu.ts';
import { ropeCpu } from './rope/cpu.ts';
import { softmaxCpu } from './softmax/cpu.ts';

export const CPU_KERNELS: CpuKernels<KernelOp> = {
  ...elementwiseCpu,
  ...reduceCpu,
  ...matmulCpu,
  ...layoutCpu,
  ...embeddingCpu,
  ...normCpu,
  ...ropeCpu,
  ...cacheCpu,
  ...softmaxCpu,
  ...attentionCpu,
  ...logprobsCpu,
  ...lmHeadCpu,
  ...adamwCpu,
  ...dropoutCpu,
};
