/** One thread per output element, for gathers and scatters whose inputs are not elementwise-aligned. */
import type { Launch } from '../../../backend.ts';
import { type KernelOp, numel } from '../../../ops.ts';
import { asGpuTensor } from '../tensor.ts';
import { ENTRY_ARGS, grid, Kernel, type KernelSource, LINEAR_WG } from './builder.ts';
import type { DispatchSpec, KernelContext, WgslKernel } from './types.ts';

/** One thread per output element: `body` computes element `i` (a u32 below p.n) and stores it. */
export function perOutput(
  ctx: KernelContext,
  count: number,
  { label, bind, body, helpers = '' }: KernelSource,
): DispatchSpec[] {
  if (count === 0) return [];
  const wg = ctx.limits.maxThreads;
  const k = new Kernel(ctx, label).u32('n', count);
  bind(k);
  return [
    k.build(
      `${helpers}@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  let i = (${LINEAR_WG}) * ${wg}u + li;
  if (i >= p.n) { return; }
${body}
}
`,
      grid(Math.ceil(count / wg), ctx.limits.maxWorkgroupsPerDim),
    ),
  ];
}

/**
 * A one-thread-per-output kernel given declaratively: the u32 uniforms `uniforms(launch)` gives
 * (declared in that order), the launch's inputs bound whole and read-only under `inputs` names,
 * and `body` computing and storing output element i.
 */
export function gatherKernel<K extends KernelOp>(
  inputs: readonly string[],
  uniforms: (launch: Launch<K>) => Record<string, number>,
  body: string,
): WgslKernel<K> {
  return (launch, ctx) => {
    const out = asGpuTensor(launch.output.tensor, `${launch.op} output`);
    const count = numel(launch.output.shape);
    const bind = (k: Kernel) => {
      for (const [name, value] of Object.entries(uniforms(launch))) k.u32(name, value);
      k.tensor('out', out, count, 'read_write');
      inputs.forEach((name, i) => {
        const view = launch.inputs[i];
        k.tensor(name, asGpuTensor(view.tensor, `${launch.op} ${name}`), numel(view.shape), 'read');
      });
    };
    return perOutput(ctx, count, { label: launch.op, bind, body });
  };
}
