/**
 * Reduction helpers: a sum over a whole tensor (sum_all, sumsq, sum_leading to a scalar) and
 * column sums (sum_leading, and the weight gradients of the norms). Large inputs reduce in two deterministic passes through a scratch
 * buffer of partial sums, so the result does not depend on scheduling. Whole-tensor sums follow
 * the context's row strategy: workgroup tree reductions on GPUs, barrier-free serial chunks on
 * CPU adapters.
 */
import type { GpuTensor } from '../tensor.ts';
import { ENTRY_ARGS, grid, Kernel, LINEAR_WG } from './builder.ts';
import type { DispatchSpec, KernelContext } from './types.ts';
import { reduceHelpers } from './wgsl-reduce.ts';

/** Elements each thread sums before the tree reduction in a full reduction. */
const PER_THREAD = 64;
const MAX_PARTIALS = 256;
/** Elements per thread in the serial (CPU-adapter) reduction. */
const SERIAL_CHUNK = 4096;

/** out[0] = sum over i < n of `expr` (a WGSL f32 expression of `x`, the element of src). */
export interface FullReduce {
  readonly label: string;
  readonly src: GpuTensor;
  readonly n: number;
  readonly out: GpuTensor;
  readonly expr: string;
}

export function fullReduce(ctx: KernelContext, r: FullReduce): DispatchSpec[] {
  return ctx.rows === 'thread' ? serialFullReduce(ctx, r) : parallelFullReduce(ctx, r);
}

/** GPUs: up to MAX_PARTIALS workgroups stride over the input and tree-reduce; a second workgroup sums the partials. */
function parallelFullReduce(ctx: KernelContext, { label, src, n, out, expr }: FullReduce): DispatchSpec[] {
  const wg = ctx.limits.maxThreads;
  const parts = Math.min(MAX_PARTIALS, Math.max(1, Math.ceil(n / (wg * PER_THREAD))));
  const partial = parts > 1 ? ctx.scratch(parts * 4) : undefined;
  const k = new Kernel(ctx, `${label}_partial`).u32('n', n).u32('stride', parts * wg);
  k.tensor('x', src, n, 'read');
  if (partial) k.buffer('part', partial, 'f32', 'read_write');
  else k.tensor('out', out, 1, 'read_write');
  const target = partial ? 'st_part(wid.x, total)' : 'st_out(0u, total)';
  const specs = [
    k.build(
      `${reduceHelpers(wg)}
@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  var acc = 0.0;
  for (var i = wid.x * ${wg}u + li; i < p.n; i += p.stride) {
    let x = ld_x(i);
    acc += ${expr};
  }
  let total = wg_sum(li, acc);
  if (li == 0u) { ${target}; }
}
`,
      [parts, 1, 1],
    ),
  ];
  if (partial) {
    const k2 = new Kernel(ctx, `${label}_final`).u32('n', parts);
    k2.buffer('part', partial, 'f32', 'read').tensor('out', out, 1, 'read_write');
    specs.push(
      k2.build(
        `${reduceHelpers(wg)}
@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  var acc = 0.0;
  for (var i = li; i < p.n; i += ${wg}u) { acc += ld_part(i); }
  let total = wg_sum(li, acc);
  if (li == 0u) { st_out(0u, total); }
}
`,
        [1, 1, 1],
      ),
    );
  }
  return specs;
}

/** CPU adapters (no barriers): each thread sums a contiguous chunk; one thread sums the chunks. */
function serialFullReduce(ctx: KernelContext, { label, src, n, out, expr }: FullReduce): DispatchSpec[] {
  const chunk = SERIAL_CHUNK;
  const parts = Math.max(1, Math.ceil(n / chunk));
  const partial = parts > 1 ? ctx.scratch(parts * 4) : undefined;
  const k = new Kernel(ctx, `${label}_serial`).u32('n', n).u32('chunk', chunk).u32('parts', parts);
  k.tensor('x', src, n, 'read');
  if (partial) k.buffer('part', partial, 'f32', 'read_write');
  else k.tensor('out', out, 1, 'read_write');
  const specs = [
    k.build(
      `@compute @workgroup_size(64) fn main(${ENTRY_ARGS}) {
  let t = (${LINEAR_WG}) * 64u + li;
  if (t >= p.parts) { return; }
  var acc = 0.0;
  for (var i = t * p.chunk; i < min(p.n, (t + 1u) * p.chunk); i++) {
    let x = ld_x(i);
    acc += ${expr};
  }
  ${partial ? 'st_part(t, acc)' : 'st_out(0u, acc)'};
}
`,
      grid(Math.ceil(parts / 64), ctx.limits.maxWorkgroupsPerDim),
    ),
  ];
  if (partial) {
    const k2 = new Kernel(ctx, `${label}_serial_final`).u32('n', parts);
    k2.buffer('part', partial, 'f32', 'read').tensor('out', out, 1, 'read_write');
    specs.push(
      k2.build(
        `@compute @workgroup_size(1) fn main() {
  var acc = 0.0;
  for (var i = 0u; i < p.n; i++) { acc += ld_part(i); }
  st_out(0u, acc);
}
`,
        [1, 1, 1],
      ),
    );
  }
  return specs;
}

export interface ColumnReduce {
  readonly label: string;
  readonly rows: number;
  readonly cols: number;
  /** Binds the inputs the expression reads (the output is bound as `out`). */
  readonly bind: (k: Kernel) => void;
  /** WGSL f32 expression of r (row), c (column) and idx = r * cols + c. */
  readonly expr: string;
  readonly out: GpuTensor;
}

/** Rows per chunk when the rows are split across workgroups (pass 1 of 2). */
const ROWS_PER_CHUNK = 256;
const MAX_ROW_CHUNKS = 64;
/**
 * Up to this many elements a column sum is one dispatch: splitting rows buys parallelism only on
 * large inputs, and every extra dispatch costs a launch (the tiny model's bias gradients).
 */
const SINGLE_PASS_ELEMS = 1 << 18;

/** out[c] = sum over rows r of expr(r, c): one thread per column, rows split into chunks when tall. */
export function columnReduce(ctx: KernelContext, spec: ColumnReduce): DispatchSpec[] {
  const { rows, cols } = spec;
  const wg = Math.min(64, ctx.limits.maxThreads);
  const chunks =
    rows * cols <= SINGLE_PASS_ELEMS ? 1 : Math.min(MAX_ROW_CHUNKS, Math.max(1, Math.ceil(rows / ROWS_PER_CHUNK)));
  const rowsPerChunk = Math.ceil(rows / chunks);
  const colGroups = Math.ceil(cols / wg);
  const partial = chunks > 1 ? ctx.scratch(chunks * cols * 4) : undefined;
  const k = new Kernel(ctx, `${spec.label}_cols`).u32('rows', rows).u32('cols', cols).u32('chunk', rowsPerChunk);
  if (partial) k.buffer('part', partial, 'f32', 'read_write');
  else k.tensor('out', spec.out, cols, 'read_write');
  spec.bind(k);
  const store = partial ? 'st_part(wid.y * p.cols + c, acc)' : 'st_out(c, acc)';
  const specs = [
    k.build(
      `@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  let c = wid.x * ${wg}u + li;
  if (c >= p.cols) { return; }
  let r0 = wid.y * p.chunk;
  let r1 = min(p.rows, r0 + p.chunk);
  var acc = 0.0;
  for (var r = r0; r < r1; r++) {
    let idx = r * p.cols + c;
    acc += ${spec.expr};
  }
  ${store};
}
`,
      [colGroups, chunks, 1],
    ),
  ];
  if (partial) {
    const k2 = new Kernel(ctx, `${spec.label}_cols_final`).u32('cols', cols).u32('chunks', chunks);
    k2.tensor('out', spec.out, cols, 'read_write').buffer('part', partial, 'f32', 'read');
    specs.push(
      k2.build(
        `@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  let c = (${LINEAR_WG}) * ${wg}u + li;
  if (c >= p.cols) { return; }
  var acc = 0.0;
  for (var q = 0u; q < p.chunks; q++) { acc += ld_part(q * p.cols + c); }
  st_out(c, acc);
}
`,
        grid(colGroups, ctx.limits.maxWorkgroupsPerDim),
      ),
    );
  }
  return specs;
}
