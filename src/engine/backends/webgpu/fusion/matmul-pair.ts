/**
 * Matmul pairs: two matmuls with the same output layout whose elementwise epilogue chain combines
 * both outputs (LoRA's y = x W + b + s (x A^T) B^T; its backward's dx = dy W^T + du A) run as one
 * kernel: the second product gets its own accumulators over its own K inside the first's kernel
 * (matmul-tiles.ts, ops/matmul/wgsl.ts), then the chain runs on both values in registers
 * (epilogue.ts's hook with v and v2). Each accumulator sees exactly the fmas of its unfused kernel
 * and the chain the same ops in the same order, so results are bit-identical to the unfused launches.
 *
 * The fused kernel runs at the later matmul's position (q): the earlier matmul (p) and the chain's
 * launches before q sink to q, the chain's launches after q are hoisted to it. Legal when nothing
 * they pass touches what they write or writes what they read (access.ts), nothing in the group
 * before q touches q's output or writes q's inputs, and no chain launch writes a tensor either
 * matmul reads (other threads still read it). Every value still observable afterwards is stored,
 * the second matmul's output included. Moves in both directions are only checked against the
 * launches' original positions, so two moves must never cross unseen: no pair sinks over another
 * pair's kernel, and no epilogue producer sits between a pair's matmuls (index.ts).
 *
 * The pair runs the kernel its products would each get: the tiled/register body, or the skinny
 * kernel (kernels/matmul-skinny.ts) when both would take it with the same plan (KV-cache decode:
 * Llama's gate and up projections, LoRA's base and low-rank products at a few rows). The plan
 * depends only on the output's M and N, so the same layout means the same plan; a pair whose
 * products would take different kernels is refused all the same, since mixing them would change
 * which fmas an accumulator sees. Found in the tiny LoRA DPO step (every adapted layer's forward
 * and input gradient) and in generation's decode steps.
 */
import type { DeviceTensor, Launch } from '../../../backend.ts';
import type { MatmulAttrs } from '../../../ops/matmul/index.ts';
import { type MatmulDims, matmulDims, registerBody } from '../../../ops/matmul/wgsl.ts';
import { Kernel } from '../kernels/builder.ts';
import { type SkinnyPlan, skinnyMatmulBody, skinnyPlan, skinnyWorkgroups } from '../kernels/matmul-skinny.ts';
import {
  bindMatmulOperand,
  contiguousDims,
  DEFAULT_MATMUL_TILE,
  MATMUL_TILES,
  tileCols,
  tiledMatmulBody,
  tileRows,
} from '../kernels/matmul-tiles.ts';
import type { DispatchSpec, KernelContext } from '../kernels/types.ts';
import { asGpuTensor } from '../tensor.ts';
import { count, deadAfter, hoistable, reads, touches, writes } from './access.ts';
import { consumable, type EpilogueGroup, epilogueHook } from './epilogue.ts';

/** How far apart the two matmuls, and the chain from them, may be. */
const WINDOW = 8;

export interface MatmulPair {
  /** The earlier matmul: its output is the kernel's `out` (v in the chain). */
  readonly first: number;
  /** The later matmul (v2), and the position the fused kernel runs at. */
  readonly second: number;
  /** The chain's positions, in program order (some before `second`, some after). */
  readonly consumers: readonly number[];
  /** Tensors whose final in-group value must be stored. */
  readonly stored: ReadonlySet<DeviceTensor>;
}

/** Pairs found in `launches`, none using a position in `taken` (other fusions' positions). */
export function planMatmulPairs(
  launches: readonly Launch[],
  ctx: KernelContext,
  taken: ReadonlySet<number>,
): MatmulPair[] {
  const pairs: MatmulPair[] = [];
  const used = new Set<number>(taken);
  // A pair may not sink its first matmul over another pair's kernel: that kernel's hoisted chain
  // and this sunk matmul would pass each other with neither check seeing the other.
  const sites: number[] = [];
  for (let q = 0; q < launches.length; q++) {
    if (used.has(q) || !pairable(launches[q], ctx)) continue;
    for (let p = q - 1; p >= Math.max(0, q - WINDOW); p--) {
      if (used.has(p) || !pairable(launches[p], ctx) || !sameKernel(launches[p], launches[q], ctx)) continue;
      if (sites.some((s) => s > p)) break;
      const pair = planPair(launches, p, q, used);
      if (!pair) continue;
      pairs.push(pair);
      sites.push(q);
      for (const j of [p, q, ...pair.consumers]) used.add(j);
      break;
    }
  }
  return pairs;
}

/** A matmul the pair kernel can compute. */
function pairable(l: Launch, ctx: KernelContext): boolean {
  if (l.op !== 'matmul' || l.output.dtype !== 'f32') return false;
  const n = count(l.output);
  return n > 0 && n <= ctx.layout.elems;
}

/**
 * Whether one kernel computes both products as their own launches would: both write the same
 * elements in the same order (one grid), and both would get the same kernel (the tiled/register
 * body, or the skinny kernel with the same plan).
 */
function sameKernel(a: Launch, b: Launch, ctx: KernelContext): boolean {
  const x = matmulDims(a as Launch<'matmul'>);
  const y = matmulDims(b as Launch<'matmul'>);
  if (x.batch !== y.batch || x.M !== y.M || x.N !== y.N || x.strideO !== y.strideO) return false;
  return samePlan(skinnyPlan(x, ctx), skinnyPlan(y, ctx));
}

function samePlan(a: SkinnyPlan | undefined, b: SkinnyPlan | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.side === b.side &&
    a.block === b.block &&
    a.per === b.per &&
    a.threads === b.threads &&
    a.subgroups === b.subgroups
  );
}

function planPair(launches: readonly Launch[], p: number, q: number, used: ReadonlySet<number>): MatmulPair | null {
  const P = launches[p];
  const Q = launches[q];
  const qOut = Q.output.tensor;
  if (P.output.tensor === qOut) return null;
  const n = count(P.output);
  const group = new Set<number>([p, q]);
  // Which of the two matmuls each group value derives from (bit 1: first, bit 2: second).
  const written = new Map<DeviceTensor, number>([[P.output.tensor, p]]);
  const origin = new Map<DeviceTensor, number>([[P.output.tensor, 1]]);
  const producerReads = new Set([...P.inputs, ...Q.inputs].map((v) => v.tensor));
  const broadcastReads = new Set<DeviceTensor>();
  const consumers: number[] = [];
  let combines = false;
  const end = Math.min(launches.length, q + 1 + WINDOW);
  for (let c = p + 1; c < end; c++) {
    if (c === q) {
      written.set(qOut, q);
      origin.set(qOut, 2);
      continue;
    }
    if (used.has(c)) continue;
    const l = launches[c];
    if (!consumable(l, n, written, producerReads, broadcastReads)) continue;
    if (c > q && !hoistable(launches, q, c, group)) continue;
    if (c < q && (touches(l, qOut) || Q.inputs.some((v) => writes(l, v.tensor)))) continue;
    let mask = 0;
    for (const v of l.inputs) mask |= origin.get(v.tensor) ?? 0;
    combines ||= mask === 3;
    group.add(c);
    consumers.push(c);
    written.set(l.output.tensor, c);
    origin.set(l.output.tensor, mask);
    for (const v of l.inputs) if (count(v) !== n) broadcastReads.add(v.tensor);
  }
  if (!combines) return null;
  // The first matmul and the chain's launches before q move to q: nothing they pass may conflict.
  for (const x of [p, ...consumers.filter((c) => c < q)]) {
    if (!sinkable(launches, x, q, group)) return null;
  }
  if (reads(P, qOut) || Q.inputs.some((v) => writes(P, v.tensor))) return null;
  const stored = new Set<DeviceTensor>();
  for (const [t, last] of written) if (!deadAfter(launches, last, t, n, group)) stored.add(t);
  return { first: p, second: q, consumers, stored };
}

/** Whether launch x may run later, at position `to`: no launch in between (outside `skip`) conflicts with it. */
function sinkable(launches: readonly Launch[], x: number, to: number, skip: ReadonlySet<number>): boolean {
  const l = launches[x];
  for (let j = x + 1; j < to; j++) {
    if (skip.has(j)) continue;
    const m = launches[j];
    if (touches(m, l.output.tensor) || l.inputs.some((v) => writes(m, v.tensor))) return false;
  }
  return true;
}

/**
 * The pair's one dispatch, or null when it needs more bindings than the device allows (the
 * caller then compiles the launches unfused, in the order first, chain before q, q, chain after).
 */
export function matmulPairKernels(
  launches: readonly Launch[],
  pair: MatmulPair,
  ctx: KernelContext,
): DispatchSpec[] | null {
  const P = launches[pair.first] as Launch<'matmul'>;
  const Q = launches[pair.second] as Launch<'matmul'>;
  const group: EpilogueGroup = { producer: pair.first, consumers: pair.consumers, stored: pair.stored };
  const hooked: KernelContext = {
    ...ctx,
    loadHooks: undefined,
    storeHook: epilogueHook(launches, group, Q.output.tensor),
  };
  try {
    return [pairKernel(P, Q, hooked)];
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

function pairKernel(P: Launch<'matmul'>, Q: Launch<'matmul'>, ctx: KernelContext): DispatchSpec {
  const d: MatmulDims = matmulDims(P);
  const d2: MatmulDims = matmulDims(Q);
  const attrs: MatmulAttrs['matmul'] = P.attrs;
  const second: MatmulAttrs['matmul'] = Q.attrs;
  const shape = MATMUL_TILES[ctx.matmulTile ?? DEFAULT_MATMUL_TILE];
  const tiled = ctx.matmul === 'tiled';
  // sameKernel made sure Q gets this plan too.
  const skinny = skinnyPlan(d, ctx);
  const k = new Kernel(ctx, `matmul_pair_${skinny ? 'skinny' : ctx.matmul}`)
    .u32('M', d.M)
    .u32('N', d.N)
    .u32('K', d.K)
    .u32('sa', d.strideA)
    .u32('sb', d.strideB)
    .u32('so', d.strideO)
    .u32('K2', d2.K)
    .u32('sa2', d2.strideA)
    .u32('sb2', d2.strideB);
  const gpu = (v: Launch['output'], name: string) => asGpuTensor(v.tensor, `matmul pair ${name}`);
  k.tensor('out', gpu(P.output, 'out'), count(P.output), 'read_write');
  const operand = (name: string, v: Launch['output'], contiguous: number) =>
    bindMatmulOperand(k, ctx, name, gpu(v, name), count(v), contiguous, !skinny);
  const c1 = contiguousDims(d, attrs.transA, attrs.transB);
  const c2 = contiguousDims(d2, second.transA, second.transB);
  const vecA = operand('a', P.inputs[0], c1.a);
  const vecB = operand('b', P.inputs[1], c1.b);
  const vec2 = { vecA: operand('a2', Q.inputs[0], c2.a), vecB: operand('b2', Q.inputs[1], c2.b) };
  if (skinny) {
    if (skinny.subgroups) k.enableSubgroups();
    return k.build(skinnyMatmulBody(attrs.transA, attrs.transB, skinny, second), skinnyWorkgroups(d, skinny));
  }
  const body = tiled
    ? tiledMatmulBody(attrs.transA, attrs.transB, shape, { ...second, ...vec2 }, { vecA, vecB })
    : registerBody(attrs.transA, attrs.transB, second);
  const rows = tiled ? tileRows(shape) : 32;
  const cols = tiled ? tileCols(shape) : 32;
  return k.build(body, [Math.ceil(d.N / cols), Math.ceil(d.M / rows), d.batch]);
}
