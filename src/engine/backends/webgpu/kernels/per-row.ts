/**
 * Row kernels over a [rows, cols] view (norms, softmax, log-softmax), in one of two strategies:
 *  - 'workgroup' (GPUs): one workgroup per row, threads striding over the columns and combining
 *    through the workgroup reductions of wgsl-reduce.ts;
 *  - 'thread' (CPU adapters such as SwiftShader, where every workgroup barrier costs about a
 *    millisecond): one thread per row looping over all columns, with the reductions compiled to
 *    identities. The same kernel body serves both.
 */
import { grid, Kernel, type KernelSource, LINEAR_WG } from './builder.ts';
import type { DispatchSpec, KernelContext } from './types.ts';
import { reduceHelpers, serialReduceHelpers } from './wgsl-reduce.ts';

/** Rows per workgroup in the 'thread' strategy. */
const ROWS_PER_WORKGROUP = 64;

/**
 * `body` runs with `row` (u32, < p.rows), `li` (the thread's index within the row's group) and
 * WG (threads per row, a WGSL constant): loop `for (var c = li; c < cols; c += WG)` and combine
 * with wg_sum / wg_max / wg_logsumexp_state, called by every thread of the row.
 */
export function perRow(
  ctx: KernelContext,
  rows: number,
  wg: number,
  { label, bind, body, helpers = '' }: KernelSource,
): DispatchSpec[] {
  if (rows === 0) return [];
  const k = new Kernel(ctx, label).u32('rows', rows);
  bind(k);
  if (ctx.rows === 'thread') {
    return [
      k.build(
        `const WG: u32 = 1u;
${serialReduceHelpers()}${helpers}
@compute @workgroup_size(${ROWS_PER_WORKGROUP}) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = (${LINEAR_WG}) * ${ROWS_PER_WORKGROUP}u + lid;
  let li = 0u;
  if (row >= p.rows) { return; }
${body}
}
`,
        grid(Math.ceil(rows / ROWS_PER_WORKGROUP), ctx.limits.maxWorkgroupsPerDim),
      ),
    ];
  }
  return [
    k.build(
      `const WG: u32 = ${wg}u;
${reduceHelpers(wg)}${helpers}
@compute @workgroup_size(${wg}) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = ${LINEAR_WG};
  if (row >= p.rows) { return; }
${body}
}
`,
      grid(rows, ctx.limits.maxWorkgroupsPerDim),
    ),
  ];
}
