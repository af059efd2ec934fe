/**
 * The registry of WGSL kernels, one per op a backend runs, gathered from the op families. Only the
 * WebGPU backend imports it, so CPU-only bundles never load a shader.
 */
import type { WgslKernels } from '../backends/webgpu/kernels/types.ts';
import type { KernelOp } from '../ops.ts';
import { adamwWgsl } from './adamw/wgsl.ts';
import { attentionWgsl } from './attention/wgsl.ts';
import { cacheWgsl } from './cache/wgsl.ts';
import { dropoutWgsl } from './dropout/wgsl.ts';
import { elementwiseWgsl } from './elementwise/wgsl.ts';
import { embeddingWgsl } from './embedding/wgsl.ts';
import { layoutWgsl } from './layout/wgsl.ts';
import { lmHeadWgsl } from './lm-head/wgsl.ts';
import { logprobsWgsl } from './logprobs/wgsl.ts';
import { matmulWgsl } from './matmul/wgsl.ts';
import { normWgsl } from './norm/wgsl.ts';
import { reduceWgsl } from './reduce/wgsl.ts';
import { ropeWgsl } from './rope/wgsl.ts';
import { softmaxWgsl } from './softmax/wgsl.ts';

export const WGSL_KERNELS: WgslKernels<KernelOp> = {
  ...elementwiseWgsl,
  ...reduceWgsl,
  ...matmulWgsl,
  ...layoutWgsl,
  ...embeddingWgsl,
  ...normWgsl,
  ...ropeWgsl,
  ...cacheWgsl,
  ...softmaxWgsl,
  ...attentionWgsl,
  ...logprobsWgsl,
  ...lmHeadWgsl,
  ...adamwWgsl,
  ...dropoutWgsl,
};
