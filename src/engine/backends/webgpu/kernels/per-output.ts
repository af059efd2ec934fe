/** One thread per output element, for gathers and scatters whose inputs are not elementwise-aligned. */
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
