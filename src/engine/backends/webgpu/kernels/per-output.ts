/** One thread per output element, for gathers and scatters whose inputs are not elementwise-aligned. */
import type { Launch } from '../../../backend.ts';
import { type KernelOp, numel } from '../../../ops.ts';
import { asGpuTensor } from '../tensor.ts';
import { ENTRY_ARGS, grid, Kernel, LINEAR_WG } from './builder.ts';
import type { DispatchSpec, KernelContext, WgslKernel } from './types.ts';

/**
 * `bind` declares the output (`out`, read_write, first) and inputs; `body` computes output element
 * `i` (a u32 below p.n) and stores it.
 */
export function perOutput(
  ctx: KernelContext,
  label: string,
  count: number,
  bind: (k: Kernel) => void,
  body: string,
  helpers = '',
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
    return perOutput(ctx, launch.op, count, bind, body);
  };
}
