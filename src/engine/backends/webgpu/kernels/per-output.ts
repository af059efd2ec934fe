/** One thread per output element, for gathers and scatters whose inputs are not elementwise-aligned. */
import type { Launch } from '../../../backend.ts';
import { numel } from '../../../ops.ts';
import { asGpuTensor } from '../tensor.ts';
import { ENTRY_ARGS, grid, Kernel, LINEAR_WG } from './builder.ts';
import type { DispatchSpec, KernelContext } from './types.ts';

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

/** Input i and the output of a launch as GPU tensors, with their element counts. */
export function launchIo(launch: Launch, i = 0) {
  return {
    src: asGpuTensor(launch.inputs[i].tensor, `${launch.op} input ${i}`),
    srcCount: numel(launch.inputs[i].shape),
    out: asGpuTensor(launch.output.tensor, `${launch.op} output`),
    count: numel(launch.output.shape),
  };
}
