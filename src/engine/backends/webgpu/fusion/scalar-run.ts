/**
 * Scalar runs: a stretch of whole-tensor sums (sumsq, sum_all) and elementwise ops on one-element
 * tensors, such as the global gradient norm, sum over params of sumsq(grad), which is otherwise
 * two dispatches per param. The run becomes a few multi-tensor partial-sum dispatches (each binds
 * as many sources as the device allows) and one-thread dispatches that replay the scalar ops in
 * program order from the partials, storing every value that can still be observed.
 */
import type { DeviceTensor, Launch } from '../../../backend.ts';
import { UNARY_HELPERS } from '../../../ops/elementwise/wgsl-fns.ts';
import type { OpKind } from '../../../ops.ts';
import { ENTRY_ARGS, grid, Kernel, LINEAR_WG } from '../kernels/builder.ts';
import type { DispatchSpec, KernelContext } from '../kernels/types.ts';
import { reduceHelpers } from '../kernels/wgsl-reduce.ts';
import { asGpuTensor } from '../tensor.ts';
import { count, deadAfter } from './access.ts';
import { scalarOpWgsl } from './scalar-ops.ts';

const REDUCTIONS: ReadonlySet<OpKind> = new Set<OpKind>(['sumsq', 'sum_all']);
const SCALAR_OPS: ReadonlySet<OpKind> = new Set<OpKind>(['add', 'sub', 'mul', 'scale', 'unary', 'unary_grad']);
/** Elements one thread sums on CPU adapters (no barriers there). */
const SERIAL_CHUNK = 4096;
/** Elements per thread before the tree reduction on GPUs. */
const PER_THREAD = 16;

export interface ScalarRun {
  readonly start: number;
  /** Positions start..end-1. */
  readonly end: number;
}

const isReduction = (l: Launch) => REDUCTIONS.has(l.op) && count(l.output) === 1 && l.output.dtype === 'f32';
const isScalarOp = (l: Launch) =>
  SCALAR_OPS.has(l.op) &&
  count(l.output) === 1 &&
  [l.output, ...l.inputs].every((v) => v.dtype === 'f32' && count(v) === 1);

/** Maximal runs with at least two reductions; no launch of a run writes a tensor a reduction of it sums. */
export function findScalarRuns(launches: readonly Launch[]): ScalarRun[] {
  const runs: ScalarRun[] = [];
  let i = 0;
  while (i < launches.length) {
    if (!isReduction(launches[i]) && !isScalarOp(launches[i])) {
      i++;
      continue;
    }
    // The partial sums all run before the run's first launch: a source must hold the same values
    // throughout the run, so no launch of the run may write it, before or after its reduction.
    const sources = new Set<DeviceTensor>();
    const written = new Set<DeviceTensor>();
    let j = i;
    let reductions = 0;
    for (; j < launches.length; j++) {
      const l = launches[j];
      if (!isReduction(l) && !isScalarOp(l)) break;
      if (sources.has(l.output.tensor)) break;
      if (isReduction(l)) {
        const src = l.inputs[0].tensor;
        if (src === l.output.tensor || written.has(src)) break;
        sources.add(src);
        reductions++;
      }
      written.add(l.output.tensor);
    }
    if (reductions >= 2) runs.push({ start: i, end: j });
    i = Math.max(j, i + 1);
  }
  return runs;
}

interface Source {
  readonly pos: number;
  readonly view: Launch['inputs'][number];
  readonly square: boolean;
  /** Where this source's partial sums start in the scratch buffer, and how many there are. */
  offset: number;
  parts: number;
}

export function scalarRunKernels(launches: readonly Launch[], run: ScalarRun, ctx: KernelContext): DispatchSpec[] {
  const serial = ctx.rows === 'thread';
  const wg = ctx.limits.maxThreads;
  const block = serial ? SERIAL_CHUNK : wg * PER_THREAD;
  const sources: Source[] = [];
  let total = 0;
  for (let pos = run.start; pos < run.end; pos++) {
    const l = launches[pos];
    if (!isReduction(l)) continue;
    const parts = Math.max(1, Math.ceil(count(l.inputs[0]) / block));
    sources.push({ pos, view: l.inputs[0], square: l.op === 'sumsq', offset: total, parts });
    total += parts;
  }
  const part = ctx.scratch(total * 4);
  const perDispatch = Math.max(1, ctx.limits.maxStorageBuffers - 1);
  const specs: DispatchSpec[] = [];
  for (let s = 0; s < sources.length; s += perDispatch) {
    specs.push(partialKernel(ctx, sources.slice(s, s + perDispatch), part, serial, block));
  }
  const bySource = new Map(sources.map((src) => [src.pos, src]));
  for (const sub of splitFinal(launches, run, perDispatch)) specs.push(finalKernel(ctx, launches, sub, part, bySource));
  return specs;
}

/** One dispatch summing blocks of several sources: one thread (CPU adapters) or workgroup (GPUs) per block. */
function partialKernel(
  ctx: KernelContext,
  group: readonly Source[],
  part: GPUBuffer,
  serial: boolean,
  block: number,
): DispatchSpec {
  const k = new Kernel(ctx, `scalar_run_partial_${group.length}`);
  k.buffer('part', part, 'f32', 'read_write');
  group.forEach((s, j) => {
    k.tensor(`s${j}`, asGpuTensor(s.view.tensor, 'scalar run source'), count(s.view), 'read');
  });
  const first = group[0].offset;
  const blocks = group.reduce((n, s) => n + s.parts, 0);
  const cases = group
    .map((s, j) => {
      const n = count(s.view);
      const term = s.square ? `ld_s${j}(e) * ld_s${j}(e)` : `ld_s${j}(e)`;
      const loop = serial
        ? `for (var e = lb * ${block}u; e < min(${n}u, (lb + 1u) * ${block}u); e++) { acc += ${term}; }`
        : `for (var e = lb * ${block}u + li; e < min(${n}u, (lb + 1u) * ${block}u); e += ${ctx.limits.maxThreads}u) { acc += ${term}; }`;
      return `    case ${j}u: { let lb = b - ${s.offset - first}u; ${loop} }`;
    })
    .join('\n');
  // Which source block b belongs to: the last source whose first block is <= b.
  const which = group.map((s, j) => `  if (b >= ${s.offset - first}u) { src = ${j}u; }`).join('\n');
  // Both variants: leave if b is past the last block, then add up block b of its source into acc.
  const sumBlock = `  if (b >= ${blocks}u) { return; }
  var src = 0u;
${which}
  var acc = 0.0;
  switch src {
${cases}
    default: {}
  }
`;
  if (serial) {
    const body = `@compute @workgroup_size(64) fn main(${ENTRY_ARGS}) {
  let b = (${LINEAR_WG}) * 64u + li;
${sumBlock}  st_part(${first}u + b, acc);
}
`;
    return k.build(body, grid(Math.ceil(blocks / 64), ctx.limits.maxWorkgroupsPerDim));
  }
  const wg = ctx.limits.maxThreads;
  const body = `${reduceHelpers(wg)}
@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  let b = ${LINEAR_WG};
${sumBlock}  let total = wg_sum(li, acc);
  if (li == 0u) { st_part(${first}u + b, total); }
}
`;
  return k.build(body, grid(blocks, ctx.limits.maxWorkgroupsPerDim));
}

/**
 * Splits a run into consecutive pieces whose one-thread kernels bind at most `maxTensors` tensors
 * (the bound is an over-estimate: stores a later member makes unnecessary are counted).
 */
function splitFinal(launches: readonly Launch[], run: ScalarRun, maxTensors: number): number[][] {
  const pieces: number[][] = [];
  let cur: number[] = [];
  for (let pos = run.start; pos < run.end; pos++) {
    const next = [...cur, pos];
    if (cur.length > 0 && bindingsOf(launches, next).size > maxTensors) {
      pieces.push(cur);
      cur = [pos];
    } else {
      cur = next;
    }
  }
  if (cur.length) pieces.push(cur);
  return pieces;
}

/** Tensors a one-thread piece binds: scalars it reads before writing them, and the ones it must store. */
function bindingsOf(launches: readonly Launch[], piece: readonly number[]): Map<DeviceTensor, 'read' | 'read_write'> {
  const inPiece = new Set(piece);
  const written = new Set<DeviceTensor>();
  const lastWrite = new Map<DeviceTensor, number>();
  const out = new Map<DeviceTensor, 'read' | 'read_write'>();
  for (const pos of piece) {
    const l = launches[pos];
    if (!isReduction(l)) for (const v of l.inputs) if (!written.has(v.tensor)) out.set(v.tensor, 'read');
    written.add(l.output.tensor);
    lastWrite.set(l.output.tensor, pos);
  }
  for (const [t, pos] of lastWrite) if (!deadAfter(launches, pos, t, 1, inPiece)) out.set(t, 'read_write');
  return out;
}

function finalKernel(
  ctx: KernelContext,
  launches: readonly Launch[],
  piece: readonly number[],
  part: GPUBuffer,
  bySource: ReadonlyMap<number, Source>,
): DispatchSpec {
  const k = new Kernel(ctx, `scalar_run_final_${piece.length}`);
  const binds = bindingsOf(launches, piece);
  const names = new Map<DeviceTensor, string>();
  // Written tensors first, so a tensor both read and stored is bound read_write.
  const ordered = [...binds].sort((a, b) => (a[1] === b[1] ? 0 : a[1] === 'read_write' ? -1 : 1));
  for (const [t, access] of ordered) {
    const name = `t${names.size}`;
    names.set(t, name);
    k.tensor(name, asGpuTensor(t, 'scalar run'), 1, access);
  }
  k.buffer('part', part, 'f32', 'read');
  const reg = new Map<DeviceTensor, string>();
  const lines: string[] = [];
  piece.forEach((pos, j) => {
    const l = launches[pos];
    const r = `r${j}`;
    const src = bySource.get(pos);
    if (src) {
      lines.push(
        `  var ${r} = 0.0;\n  for (var q = ${src.offset}u; q < ${src.offset + src.parts}u; q++) { ${r} += ld_part(q); }`,
      );
    } else {
      const operand = (i: number) => reg.get(l.inputs[i].tensor) ?? `ld_${names.get(l.inputs[i].tensor)}(0u)`;
      lines.push(`  var ${r}: f32;\n  {\n${scalarOpWgsl(l, operand, r)}\n  }`);
    }
    reg.set(l.output.tensor, r);
  });
  for (const [t, access] of binds) if (access === 'read_write') lines.push(`  st_${names.get(t)}(0u, ${reg.get(t)});`);
  const body = `${UNARY_HELPERS}
@compute @workgroup_size(1) fn main() {
${lines.join('\n')}
}
`;
  return k.build(body, [1, 1, 1]);
}
