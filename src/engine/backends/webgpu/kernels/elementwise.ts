/**
 * Elementwise kernels (add, sub, mul, scale, unary, unary_grad, broadcast_to, copy; adamw builds
 * on the same helper). They run one dispatch per segment of the output, binding segment k of
 * every full-size operand, so they never need more than one binding per tensor however large it
 * is. Broadcast operands (a trailing-dims suffix) are bound whole and indexed modulo their size.
 */
import type { Launch, TensorView } from '../../../backend.ts';
import { numel } from '../../../ops.ts';
import type { GpuTensor } from '../tensor.ts';
import { asGpuTensor, segmentCount, segmentElems } from '../tensor.ts';
import { ENTRY_ARGS, grid, Kernel, LINEAR_WG } from './builder.ts';
import type { DispatchSpec, KernelContext } from './types.ts';
import { UNARY_HELPERS, unaryExpr, unaryGradExpr } from './unary-fns.ts';

export interface EwOperand {
  /** WGSL name; the kernel body sees its value as a local of the same name. */
  readonly name: string;
  readonly tensor: GpuTensor;
  /** Elements this operand holds; equal to the output count, or smaller for a broadcast operand. */
  readonly count: number;
  readonly access: 'read' | 'read_write';
  /** Bound whole and read at (global index % count); defaults to count < output count. */
  readonly broadcast?: boolean;
}

export interface EwSpec {
  readonly label: string;
  readonly out: GpuTensor;
  readonly count: number;
  readonly operands: readonly EwOperand[];
  /** WGSL statements run per element after the operand locals are loaded; must store via st_*(i, ...). */
  readonly body: string;
  readonly helpers?: string;
  /** Extra uniforms, set on every chunk's kernel. */
  readonly uniforms?: (k: Kernel) => void;
  /** Set when the output is written by the body itself (e.g. adamw's in-place param). */
  readonly outIsOperand?: boolean;
}

export function elementwise(spec: EwSpec, ctx: KernelContext): DispatchSpec[] {
  const { count, out, operands } = spec;
  if (count === 0) return [];
  const wg = ctx.limits.maxThreads;
  const chunks = segmentCount(count, ctx.layout);
  const specs: DispatchSpec[] = [];
  for (let c = 0; c < chunks; c++) {
    const n = segmentElems(count, c, ctx.layout);
    const k = new Kernel(ctx, `${spec.label}#${c}`).u32('n', n).u32('base', c * ctx.layout.elems);
    spec.uniforms?.(k);
    if (!spec.outIsOperand) k.segment('out', out, c, 'read_write');
    const loads: string[] = [];
    for (const op of operands) {
      if (!(op.broadcast ?? op.count !== count)) {
        k.segment(op.name, op.tensor, c, op.access);
        loads.push(`  var ${op.name} = ld_${op.name}(i);`);
      } else {
        if (op.access !== 'read') throw new Error(`${spec.label}: broadcast operand ${op.name} must be read-only`);
        if (segmentCount(op.count, ctx.layout) > 1) {
          throw new RangeError(`${spec.label}: broadcast operand ${op.name} (${op.count} elements) spans segments`);
        }
        k.tensor(op.name, op.tensor, op.count, 'read').u32(`${op.name}_n`, op.count);
        loads.push(`  let ${op.name} = ld_${op.name}((p.base + i) % p.${op.name}_n);`);
      }
    }
    const body = `${spec.helpers ?? ''}
@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  let i = (${LINEAR_WG}) * ${wg}u + li;
  if (i >= p.n) { return; }
${loads.join('\n')}
${spec.body}
}
`;
    specs.push(k.build(body, grid(Math.ceil(n / wg), ctx.limits.maxWorkgroupsPerDim)));
  }
  return specs;
}

function operand(name: string, view: TensorView, label: string): EwOperand {
  return { name, tensor: asGpuTensor(view.tensor, label), count: numel(view.shape), access: 'read' };
}

function output(launch: Launch): { out: GpuTensor; count: number } {
  return { out: asGpuTensor(launch.output.tensor, `${launch.op} output`), count: numel(launch.output.shape) };
}

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

export function broadcastToKernel(launch: Launch<'broadcast_to'>, ctx: KernelContext): DispatchSpec[] {
  return elementwise(
    {
      label: 'broadcast_to',
      ...output(launch),
      operands: [operand('x', launch.inputs[0], 'broadcast_to')],
      body: '  st_out(i, x);',
    },
    ctx,
  );
}

/** Copies input 0 into the output (a reshape whose output is a different tensor). */
export function copyKernel(launch: Launch, ctx: KernelContext): DispatchSpec[] {
  const src = operand('x', launch.inputs[0], launch.op);
  return elementwise({ label: `${launch.op}_copy`, ...output(launch), operands: [src], body: '  st_out(i, x);' }, ctx);
}
