/**
 * The WebGPU backend's fusion pass over a program's launch list (program.ts): scalar runs
 * (scalar-run.ts), data-movement launches computed inside their consumer (prologue.ts),
 * elementwise epilogues folded into their producers (epilogue.ts), then neighbouring independent
 * dispatches merged into one (horizontal.ts). It changes how many dispatches compute the
 * launches, never what they compute: every fused kernel performs the launches' own arithmetic on
 * the same tensors, in an order the launch list allows. Positions claimed by one fusion are kept
 * out of the others, which is what keeps their legality checks independent.
 */
import type { Launch } from '../../../backend.ts';
import { kernelFor } from '../kernels/registry.ts';
import type { DispatchSpec, KernelContext } from '../kernels/types.ts';
import { type EpilogueGroup, epilogueHook, planEpilogues } from './epilogue.ts';
import { mergeIndependent } from './horizontal.ts';
import { type MatmulPair, matmulPairKernels, planMatmulPairs } from './matmul-pair.ts';
import { planPrologues, prologueHook } from './prologue.ts';
import { findScalarRuns, type ScalarRun, scalarRunKernels } from './scalar-run.ts';

export interface FusionStats {
  /** Launches computed inside another launch's dispatches (epilogues, prologues, scalar runs). */
  readonly fusedLaunches: number;
  readonly epilogueGroups: number;
  readonly scalarRuns: number;
  /** Matmuls computed inside another matmul's kernel (matmul-pair.ts). */
  readonly matmulPairs: number;
  /** Dispatches saved by running independent neighbours as one (horizontal.ts). */
  readonly mergedDispatches: number;
}

/** Dispatches for `launches`, fused; `compileOne` compiles one launch alone (with error context). */
export function fusedDispatches(
  launches: readonly Launch[],
  ctx: KernelContext,
  compileOne: (launch: Launch, index: number, ctx: KernelContext) => DispatchSpec[],
): { specs: DispatchSpec[]; stats: FusionStats } {
  const runs = findScalarRuns(launches);
  const runAt = new Map<number, ScalarRun>(runs.map((r) => [r.start, r]));
  const taken = new Set<number>();
  for (const r of runs) for (let i = r.start; i < r.end; i++) taken.add(i);
  const prologues = planPrologues(launches, ctx.layout.elems, taken);
  const skipped = new Set(prologues.map((p) => p.producer));
  const hooksAt = new Map(prologues.map((p) => [p.consumer, [prologueHook(launches, p)]]));
  const consumers = new Set(prologues.map((p) => p.consumer));
  const pairs = planMatmulPairs(launches, ctx, new Set([...taken, ...skipped, ...consumers]));
  const pairAt = new Map<number, MatmulPair>(pairs.map((p) => [p.second, p]));
  const inPair = new Set(pairs.flatMap((p) => [p.first, p.second, ...p.consumers]));
  // No epilogue producer between a pair's matmuls: its hoisted consumers would pass the sunk first matmul.
  const pairSpans = pairs.flatMap((p) => Array.from({ length: p.second - p.first }, (_, k) => p.first + k));
  const { groups, fused } = planEpilogues(launches, ctx.layout.elems, {
    notProducer: new Set([...taken, ...skipped, ...inPair, ...pairSpans]),
    notConsumer: new Set([...taken, ...skipped, ...consumers, ...inPair]),
    extraReads: new Map(prologues.map((p) => [p.consumer, [launches[p.producer].inputs[0].tensor]])),
  });

  const specs: DispatchSpec[] = [];
  let fusedLaunches = 0;
  let epilogueGroups = 0;
  for (let i = 0; i < launches.length; i++) {
    const run = runAt.get(i);
    if (run) {
      specs.push(...scalarRunKernels(launches, run, ctx));
      fusedLaunches += run.end - run.start - 1;
      i = run.end - 1;
      continue;
    }
    if (fused.has(i)) continue;
    const pair = pairAt.get(i);
    if (pair) {
      const one = matmulPairKernels(launches, pair, ctx);
      // Too many bindings for one kernel: the group unfused, in the order the plan checked.
      const order = [pair.first, ...pair.consumers.filter((c) => c < i), i, ...pair.consumers.filter((c) => c > i)];
      specs.push(...(one ?? order.flatMap((j) => compileOne(launches[j], j, ctx))));
      if (one) fusedLaunches += 1 + pair.consumers.length;
      continue;
    }
    if (inPair.has(i)) continue;
    if (skipped.has(i)) {
      fusedLaunches++;
      continue;
    }
    const here: KernelContext = hooksAt.has(i) ? { ...ctx, loadHooks: hooksAt.get(i) } : ctx;
    const group = groups.get(i);
    if (!group) {
      specs.push(...compileOne(launches[i], i, here));
      continue;
    }
    const withEpilogue = tryEpilogue(launches, group, here);
    if (withEpilogue) {
      specs.push(...withEpilogue);
      fusedLaunches += group.consumers.length;
      epilogueGroups++;
    } else {
      // Too many bindings for one kernel: the same launches, unfused, in an order the plan allows.
      for (const j of [group.producer, ...group.consumers])
        specs.push(...compileOne(launches[j], j, j === i ? here : ctx));
    }
  }
  const merged = mergeIndependent(specs, ctx);
  return {
    specs: merged,
    stats: {
      fusedLaunches,
      epilogueGroups,
      scalarRuns: runs.length,
      matmulPairs: pairs.length,
      mergedDispatches: specs.length - merged.length,
    },
  };
}

function tryEpilogue(launches: readonly Launch[], group: EpilogueGroup, ctx: KernelContext): DispatchSpec[] | null {
  const producer = launches[group.producer];
  const hooked: KernelContext = { ...ctx, storeHook: epilogueHook(launches, group) };
  try {
    const specs = kernelFor(producer.op)(producer, hooked);
    // The hook must have been installed by exactly the dispatches that store the output.
    return specs.some((s) => s.wgsl.includes('st_out_raw')) ? specs : null;
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}
