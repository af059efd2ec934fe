/**
 * Picks the tiled matmul's tile shape (kernels/matmul-tiles.ts) for this adapter, with or
 * without vec4 operand loads (the '-v4' shapes; the square product timed is aligned, so they do
 * load vec4): each candidate that fits the device's workgroup memory runs a square product a few
 * times, timed from queue submission to completion, and the fastest wins. The choice is cached in memory per adapter
 * (vendor, architecture, device, description), so a page or process tunes once. All shapes give
 * bit-identical results, so the choice never changes a number, only the speed.
 */
import type { Backend, TensorView } from '../../backend.ts';
import type { CapabilityReport } from './device.ts';
import {
  DEFAULT_MATMUL_TILE,
  MATMUL_TILE_NAMES,
  MATMUL_TILES,
  type MatmulTileName,
  tileBytes,
} from './kernels/matmul-tiles.ts';
import type { KernelLimits, MatmulVariant } from './kernels/types.ts';

const tuned = new Map<string, MatmulTileName>();

/** What the autotune needs of the WebGPU backend (structural, so backend.ts can import this file). */
export interface TunableBackend extends Backend {
  readonly report?: CapabilityReport;
  readonly limits: KernelLimits;
  readonly matmul: MatmulVariant;
  matmulTile: MatmulTileName;
}

/** The cache key of an adapter; reports without one share the key 'unknown adapter'. */
export function adapterKey(report: CapabilityReport | undefined): string {
  const a = report?.adapter;
  return a ? [a.vendor, a.architecture, a.device, a.description].join('|') : 'unknown adapter';
}

/** The cached choice for this adapter, if it was tuned in this process. */
export function tunedTile(report: CapabilityReport | undefined): MatmulTileName | undefined {
  return tuned.get(adapterKey(report));
}

export interface AutotuneOptions {
  /** Side of the square product timed (default 512; tests use small sizes on software adapters). */
  size?: number;
  /** Runs per timing (default 5); the best of two timings counts. */
  repeats?: number;
  candidates?: readonly MatmulTileName[];
  /** Time again even when this adapter has a cached choice. */
  force?: boolean;
}

export interface AutotuneResult {
  choice: MatmulTileName;
  /** Milliseconds per product, by candidate (empty when the cached choice was used). */
  msPerRun: Partial<Record<MatmulTileName, number>>;
  cached: boolean;
}

/** Times the candidates on `backend` (whose matmul family must be 'tiled') and sets its tile shape. */
export async function autotuneMatmul(backend: TunableBackend, opts: AutotuneOptions = {}): Promise<AutotuneResult> {
  const key = adapterKey(backend.report);
  const hit = tuned.get(key);
  if (hit && !opts.force) {
    backend.matmulTile = hit;
    return { choice: hit, msPerRun: {}, cached: true };
  }
  if (backend.matmul !== 'tiled') throw new Error("autotuneMatmul: the backend's matmul family is not 'tiled'");
  const n = opts.size ?? 512;
  const repeats = opts.repeats ?? 5;
  const candidates = (opts.candidates ?? MATMUL_TILE_NAMES).filter(
    (c) => tileBytes(MATMUL_TILES[c]) <= backend.limits.maxWorkgroupStorageBytes,
  );
  const view = (): TensorView => ({ tensor: backend.alloc(n * n, 'f32'), shape: [n, n], dtype: 'f32' });
  const [a, b, out] = [view(), view(), view()];
  const msPerRun: Partial<Record<MatmulTileName, number>> = {};
  const previous = backend.matmulTile;
  try {
    for (const c of candidates) {
      backend.matmulTile = c;
      const program = backend.compile([
        { op: 'matmul', attrs: { transA: false, transB: false }, inputs: [a, b], output: out },
      ]);
      program.run(); // compiles the pipeline and warms up
      await backend.sync();
      let best = Number.POSITIVE_INFINITY;
      for (let trial = 0; trial < 2; trial++) {
        const t0 = performance.now();
        for (let r = 0; r < repeats; r++) program.run();
        await backend.sync();
        best = Math.min(best, (performance.now() - t0) / repeats);
      }
      program.dispose();
      msPerRun[c] = best;
    }
  } finally {
    backend.matmulTile = previous;
    for (const v of [a, b, out]) backend.free(v.tensor);
  }
  let choice: MatmulTileName = DEFAULT_MATMUL_TILE;
  for (const c of candidates) if ((msPerRun[c] ?? Infinity) < (msPerRun[choice] ?? Infinity)) choice = c;
  tuned.set(key, choice);
  backend.matmulTile = choice;
  return { choice, msPerRun, cached: false };
}
