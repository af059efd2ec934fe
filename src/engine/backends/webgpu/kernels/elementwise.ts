/**
 * The elementwise dispatch helper behind add, sub, mul, scale, unary, unary_grad, broadcast_to,
 * the reshape copy, adamw and the zero fills. It runs one dispatch per segment of the output,
 * binding segment k of every full-size operand, so it never needs more than one binding per tensor
 * however large it is. Broadcast operands (a trailing-dims suffix) are bound whole and indexed
 * modulo their size.
 */
import type { Launch, TensorView } from '../../../backend.ts';
import { numel } from '../../../ops.ts';
import type { GpuTensor } from '../tensor.ts';
import { asGpuTensor, segmentCount, segmentElems } from '../tensor.ts';
import { ENTRY_ARGS, grid, Kernel, LINEAR_WG } from './builder.ts';
import type { DispatchSpec, KernelContext } from './types.ts';

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

export function operand(name: string, view: TensorView, label: string): EwOperand {
  return { name, tensor: asGpuTensor(view.tensor, label), count: numel(view.shape), access: 'read' };
}

export function output(launch: Launch): { out: GpuTensor; count: number } {
  return { out: asGpuTensor(launch.output.tensor, `${launch.op} output`), count: numel(launch.output.shape) };
}
