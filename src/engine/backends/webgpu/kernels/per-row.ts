/** One workgroup per row of a [rows, cols] view, for row reductions (norms, softmax, log-softmax). */
import { ENTRY_ARGS, Kernel, LINEAR_WG, grid } from './builder.ts';
import type { DispatchSpec, KernelContext } from './types.ts';
import { reduceHelpers } from './wgsl-reduce.ts';

/**
 * `body` runs with `row` (u32, < p.rows), `li` (thread index) and the workgroup size as the WGSL
 * constant WG; the reduction helpers of wgsl-reduce.ts are available.
 */
export function perRow(
  ctx: KernelContext,
  label: string,
  rows: number,
  wg: number,
  bind: (k: Kernel) => void,
  body: string,
  helpers = '',
): DispatchSpec[] {
  if (rows === 0) return [];
  const k = new Kernel(ctx, label).u32('rows', rows);
  bind(k);
  return [
    k.build(
      `const WG: u32 = ${wg}u;
${reduceHelpers(wg)}${helpers}
@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  let row = ${LINEAR_WG};
  if (row >= p.rows) { return; }
${body}
}
`,
      grid(rows, ctx.limits.maxWorkgroupsPerDim),
    ),
  ];
}
