/**
 * Picks, per adapter, the tiled matmul's tile shape (kernels/matmul-tiles.ts), with or without
 * vec4 operand loads (the '-v4' shapes; the square product timed is aligned, so they do load vec4),
 * and whether the skinny matmul (kernels/matmul-skinny.ts) shares its common operand through
 * subgroup shuffles or plain loads. Each candidate runs a few times, timed from queue submission
 * to completion, and the fastest wins: tile shapes on a square product, the subgroup choice on a
 * decode projection and a LoRA down-projection. The choices are cached in memory per adapter
 * (vendor, architecture, device, description), so a page or process tunes once. Every candidate
 * gives bit-identical results, so a choice never changes a number, only the speed.
 */
import type { Backend, Launch, TensorView } from '../../backend.ts';
import type { AdapterSummary, CapabilityReport } from './device.ts';
import {
  DEFAULT_MATMUL_TILE,
  MATMUL_TILE_NAMES,
  MATMUL_TILES,
  type MatmulTileName,
  tileBytes,
} from './kernels/matmul-tiles.ts';
import type { KernelLimits, MatmulVariant } from './kernels/types.ts';
import { describeSubgroupUse, type TimedSubgroups } from './subgroups.ts';

interface TunedChoices {
  tile?: MatmulTileName;
  subgroups?: TimedSubgroups;
}
const tuned = new Map<string, TunedChoices>();

/** What the autotune needs of the WebGPU backend (structural, so backend.ts can import this file). */
export interface TunableBackend extends Backend {
  readonly report?: CapabilityReport;
  readonly limits: KernelLimits;
  readonly matmul: MatmulVariant;
  matmulTile: MatmulTileName;
  /** The subgroup size kernels use, undefined for none (the autotune sets it when it is its choice). */
  subgroupSize: number | undefined;
  /** The size to time subgroups at; undefined when their use is not the autotune's choice (subgroups.ts). */
  readonly tunableSubgroupSize: number | undefined;
}

/** The cache key of an adapter; reports without one share the key 'unknown adapter'. */
export function adapterKey(report: { adapter: AdapterSummary } | undefined): string {
  const a = report?.adapter;
  return a ? [a.vendor, a.architecture, a.device, a.description].join('|') : 'unknown adapter';
}

/** The cached tile shape for this adapter, if it was tuned in this process. */
export function tunedTile(report: { adapter: AdapterSummary } | undefined): MatmulTileName | undefined {
  return tuned.get(adapterKey(report))?.tile;
}

/** The cached subgroup choice for this adapter, if it was timed in this process. */
export function tunedSubgroups(report: { adapter: AdapterSummary } | undefined): TimedSubgroups | undefined {
  return tuned.get(adapterKey(report))?.subgroups;
}

/** A skinny product timed for the subgroup choice: out [M, N] = a · b (b stored [N, K] when transB). */
export interface SkinnyShape {
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly transB?: boolean;
}

/**
 * A decode step's projection (8 sequences through a GPT-2-small-wide weight) and a rank-8 LoRA
 * down-projection of 1024 tokens (x · A^T): the skinny kernel's two layouts (few rows, few columns).
 */
const SUBGROUP_TIMING_SHAPES: readonly SkinnyShape[] = [
  { M: 8, K: 768, N: 768 },
  { M: 1024, K: 768, N: 8, transB: true },
];

export interface AutotuneOptions {
  /** Side of the square product timed (default 512; tests use small sizes on software adapters). */
  size?: number;
  /** Runs per timing (default 5); the best of two timings counts. */
  repeats?: number;
  candidates?: readonly MatmulTileName[];
  /** Time the tile shapes (default true; false keeps the backend's shape, e.g. a forced one). */
  tiles?: boolean;
  /** Skinny products timed for the subgroup choice (default SUBGROUP_TIMING_SHAPES). */
  subgroupShapes?: readonly SkinnyShape[];
  /** Time again even when this adapter has a cached choice. */
  force?: boolean;
}

/** How the backend's subgroup use was settled. */
export interface SubgroupDecision {
  readonly use: boolean;
  /** 'timed' here or earlier for this adapter ('cached'); 'fixed': not the autotune's choice (option, rule, no feature). */
  readonly how: 'timed' | 'cached' | 'fixed';
  readonly timings?: TimedSubgroups;
}

export interface AutotuneResult {
  choice: MatmulTileName;
  /** Milliseconds per product, by candidate (empty when the cached or a kept shape was used). */
  msPerRun: Partial<Record<MatmulTileName, number>>;
  subgroups: SubgroupDecision;
  /** Nothing was timed: every choice came from the cache (or was not the autotune's). */
  cached: boolean;
}

/**
 * Times the candidates on `backend` (whose matmul family must be 'tiled') and sets its tile shape
 * and, where it is the autotune's choice, its subgroup use; updates the backend's capability
 * report to say what was chosen and why.
 */
export async function autotuneMatmul(backend: TunableBackend, opts: AutotuneOptions = {}): Promise<AutotuneResult> {
  if (backend.matmul !== 'tiled') throw new Error("autotuneMatmul: the backend's matmul family is not 'tiled'");
  const key = adapterKey(backend.report);
  const entry: TunedChoices = { ...tuned.get(key) };
  let timedAnything = false;

  const msPerRun: Partial<Record<MatmulTileName, number>> = {};
  if (opts.tiles !== false) {
    if (!entry.tile || opts.force) {
      entry.tile = await timeTiles(backend, opts, msPerRun);
      timedAnything = true;
    }
    backend.matmulTile = entry.tile;
  }

  let subgroups: SubgroupDecision = { use: backend.subgroupSize !== undefined, how: 'fixed' };
  const size = backend.tunableSubgroupSize;
  if (size !== undefined) {
    const fresh = !entry.subgroups || opts.force;
    if (fresh) entry.subgroups = await timeSubgroups(backend, size, opts);
    const timings = entry.subgroups as TimedSubgroups;
    timedAnything ||= fresh === true;
    subgroups = { use: timings.use, how: fresh ? 'timed' : 'cached', timings };
    backend.subgroupSize = timings.use ? size : undefined;
    // The report describes this adapter's default backend, which the timing just settled.
    if (backend.report) Object.assign(backend.report, describeSubgroupUse(true, 'tiled', timings));
  }

  tuned.set(key, entry);
  return { choice: backend.matmulTile, msPerRun, subgroups, cached: !timedAnything };
}

/** Milliseconds per run of `launches` (warmed up; the best of two timings of `repeats` runs). */
async function timeRuns(backend: Backend, launches: readonly Launch[], repeats: number): Promise<number> {
  const program = backend.compile(launches);
  try {
    program.run(); // compiles the pipelines and warms up
    await backend.sync();
    let best = Number.POSITIVE_INFINITY;
    for (let trial = 0; trial < 2; trial++) {
      const t0 = performance.now();
      for (let r = 0; r < repeats; r++) program.run();
      await backend.sync();
      best = Math.min(best, (performance.now() - t0) / repeats);
    }
    return best;
  } finally {
    program.dispose();
  }
}

async function timeTiles(
  backend: TunableBackend,
  opts: AutotuneOptions,
  msPerRun: Partial<Record<MatmulTileName, number>>,
): Promise<MatmulTileName> {
  const n = opts.size ?? 512;
  const candidates = (opts.candidates ?? MATMUL_TILE_NAMES).filter(
    (c) => tileBytes(MATMUL_TILES[c]) <= backend.limits.maxWorkgroupStorageBytes,
  );
  const view = (): TensorView => ({ tensor: backend.alloc(n * n, 'f32'), shape: [n, n], dtype: 'f32' });
  const [a, b, out] = [view(), view(), view()];
  const previous = backend.matmulTile;
  try {
    for (const c of candidates) {
      backend.matmulTile = c;
      const launch: Launch = { op: 'matmul', attrs: { transA: false, transB: false }, inputs: [a, b], output: out };
      msPerRun[c] = await timeRuns(backend, [launch], opts.repeats ?? 5);
    }
  } finally {
    backend.matmulTile = previous;
    for (const v of [a, b, out]) backend.free(v.tensor);
  }
  let choice: MatmulTileName = DEFAULT_MATMUL_TILE;
  for (const c of candidates) if ((msPerRun[c] ?? Infinity) < (msPerRun[choice] ?? Infinity)) choice = c;
  return choice;
}

/**
 * Times the skinny products with shuffles and with plain loads, alternating so that drift in the
 * machine's speed hits both alike. Each run holds every product a few times over (one submission):
 * these products take microseconds, and one launch per submission would time the submission.
 */
async function timeSubgroups(backend: TunableBackend, size: number, opts: AutotuneOptions): Promise<TimedSubgroups> {
  const shapes = opts.subgroupShapes ?? SUBGROUP_TIMING_SHAPES;
  const allocated: TensorView[] = [];
  const view = (shape: number[]): TensorView => {
    const v: TensorView = { tensor: backend.alloc(shape[0] * shape[1], 'f32'), shape, dtype: 'f32' };
    allocated.push(v);
    return v;
  };
  const launches: Launch[] = [];
  for (const s of shapes) {
    const a = view([s.M, s.K]);
    const b = view(s.transB ? [s.N, s.K] : [s.K, s.N]);
    const out = view([s.M, s.N]);
    for (let copy = 0; copy < 4; copy++) {
      launches.push({ op: 'matmul', attrs: { transA: false, transB: s.transB === true }, inputs: [a, b], output: out });
    }
  }
  const previous = backend.subgroupSize;
  const ms = { shuffles: Number.POSITIVE_INFINITY, plain: Number.POSITIVE_INFINITY };
  try {
    for (let round = 0; round < 2; round++) {
      for (const use of [true, false]) {
        backend.subgroupSize = use ? size : undefined;
        const t = await timeRuns(backend, launches, opts.repeats ?? 5);
        if (use) ms.shuffles = Math.min(ms.shuffles, t);
        else ms.plain = Math.min(ms.plain, t);
      }
    }
  } finally {
    backend.subgroupSize = previous;
    for (const v of allocated) backend.free(v.tensor);
  }
  return { use: ms.shuffles < ms.plain, msShuffles: ms.shuffles, msPlainLoads: ms.plain };
}
