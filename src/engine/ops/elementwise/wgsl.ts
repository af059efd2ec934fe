/** WGSL kernels of add, sub, mul, scale, unary and unary_grad (all through the elementwise helper). */
import type { Launch } from '../../backend.ts';
import { elementwise, operand, output } from '../../backends/webgpu/kernels/elementwise.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { UNARY_HELPERS, unaryExpr, unaryGradExpr } from './wgsl-fns.ts';

const BINARY = { add: 'x + y', sub: 'x - y', mul: 'x * y' } as const;

export function binaryKernel(launch: Launch<'add' | 'sub' | 'mul'>, ctx: KernelContext): DispatchSpec[] {
  const [a, b] = launch.inputs;
  return elementwise(
    {
      label: launch.op,
      ...output(launch),
      operands: [operand('x', a, launch.op), operand('y', b, launch.op)],
      body: `  st_out(i, ${BINARY[launch.op]});`,
    },
    ctx,
  );
}

export function scaleKernel(launch: Launch<'scale'>, ctx: KernelContext): DispatchSpec[] {
  return elementwise(
    {
      label: 'scale',
      ...output(launch),
      operands: [operand('x', launch.inputs[0], 'scale')],
      uniforms: (k) => k.f32('s', launch.attrs.s),
      body: '  st_out(i, x * p.s);',
    },
    ctx,
  );
}

export function unaryKernel(launch: Launch<'unary'>, ctx: KernelContext): DispatchSpec[] {
  return elementwise(
    {
      label: `unary_${launch.attrs.fn}`,
      ...output(launch),
      operands: [operand('x', launch.inputs[0], 'unary')],
      helpers: UNARY_HELPERS,
      body: `  st_out(i, ${unaryExpr(launch.attrs.fn)});`,
    },
    ctx,
  );
}

export function unaryGradKernel(launch: Launch<'unary_grad'>, ctx: KernelContext): DispatchSpec[] {
  const [a, g] = launch.inputs;
  return elementwise(
    {
      label: `unary_grad_${launch.attrs.fn}`,
      ...output(launch),
      operands: [operand('x', a, 'unary_grad'), operand('g', g, 'unary_grad')],
      helpers: UNARY_HELPERS,
      body: `  st_out(i, ${unaryGradExpr(launch.attrs.fn)});`,
    },
    ctx,
  );
}

export const elementwiseWgsl: WgslKernels<'add' | 'sub' | 'mul' | 'scale' | 'unary' | 'unary_grad'> = {
  add: binaryKernel,
  sub: binaryKernel,
  mul: binaryKernel,
  scale: scaleKernel,
  unary: unaryKernel,
  unary_grad: unaryGradKernel,
};
