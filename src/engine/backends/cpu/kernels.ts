/**
 * Binds one launch to its kernel from the op registry (ops/cpu-kernels.ts): resolves the views'
 * typed arrays once, at compile time, and returns the closure the program calls on every run.
 */
import type { Launch, TensorView } from '../../backend.ts';
import { CPU_KERNELS } from '../../ops/cpu-kernels.ts';
import type { KernelOp } from '../../ops.ts';
import { jsGemm } from './gemm.ts';
import type { CpuKernel, KernelContext } from './kernel-kit.ts';
import { type ArrayView, CpuTensor } from './tensor.ts';

export type { KernelContext };

function view(v: TensorView): ArrayView {
  if (!(v.tensor instanceof CpuTensor)) {
    throw new Error('CpuBackend: a launch refers to a tensor from another backend; allocate it with this CpuBackend');
  }
  if (v.tensor.dtype !== v.dtype) throw new Error(`CpuBackend: view dtype ${v.dtype} over a ${v.tensor.dtype} tensor`);
  return { data: v.tensor.data, shape: v.shape, shared: v.tensor.shared };
}

export function bindLaunch(l: Launch, ctx: KernelContext): () => void {
  if (l.op === 'input' || l.op === 'param') {
    throw new Error(`CpuBackend: "${l.op}" is a graph leaf, not a kernel; the planner binds it to a tensor`);
  }
  const kernel = CPU_KERNELS[l.op as KernelOp] as CpuKernel<KernelOp> | undefined;
  if (!kernel) throw new Error(`CpuBackend: no kernel for op "${l.op}"`);
  return kernel(l as Launch<KernelOp>, l.inputs.map(view), view(l.output), ctx);
}

export const JS_KERNELS: KernelContext = { gemmFor: jsGemm };
