/** Op -> WGSL kernel, through the op registry (ops/wgsl-kernels.ts). */
import type { Launch } from '../../../backend.ts';
import { WGSL_KERNELS } from '../../../ops/wgsl-kernels.ts';
import type { KernelOp, OpKind } from '../../../ops.ts';
import type { DispatchSpec, KernelContext, WgslKernel } from './types.ts';

/** Every op this backend has kernels for (all of ops.ts but the graph leaves). */
export const KERNEL_OPS = Object.keys(WGSL_KERNELS) as KernelOp[];

export function kernelFor(op: OpKind): (launch: Launch, ctx: KernelContext) => DispatchSpec[] {
  if (op === 'input' || op === 'param') {
    throw new Error(`"${op}" nodes are allocations, not launches; the planner must not emit them`);
  }
  const kernel = WGSL_KERNELS[op] as WgslKernel<KernelOp> | undefined;
  if (!kernel) throw new Error(`no WebGPU kernel for op "${op}"`);
  return kernel as (launch: Launch, ctx: KernelContext) => DispatchSpec[];
}
