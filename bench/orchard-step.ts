/**
 * Orchard's side of the benchmark: the DPO preference graph of a workload compiled into one train
 * step (forward, backward, clip, AdamW) on a given backend, run for warm-up and timed steps. The
 * same code runs in the browser page and in Node.
 */
import type { Backend } from '../src/engine/backend.ts';
import type { BackendCounters, WebGPUBackend } from '../src/engine/backends/webgpu/backend.ts';
import { compileForward } from '../src/engine/forward.ts';
import { Graph } from '../src/engine/graph.ts';
import { feedsFor } from '../src/engine/logprobs.ts';
import { buildPreferenceGraph } from '../src/engine/objectives/index.ts';
import { ParamStore } from '../src/engine/params.ts';
import type { Precision } from '../src/engine/precision/index.ts';
import { compileTrainStep } from '../src/engine/train-step.ts';
import { DPO_BETA, type EngineId, HYPER, type StepCounts } from './cases.ts';
import { type Host, type RunCounters, type RunResult, timedRun } from './result.ts';
import { timePipelined } from './timing.ts';
import type { Workload } from './workload.ts';

/** What the WebGPU backend exposes for benchmarks (a type-only import: CPU-only bundles load no WebGPU code). */
type GpuStats = Pick<WebGPUBackend, 'counters' | 'memory' | 'matmul' | 'rows' | 'matmulTile' | 'subgroupSize'>;

/**
 * A workload's DPO preference graph with its parameters (copies of the workload's initial weights)
 * in a store on the backend, and the workload's feeds: the step the bench times and the fusion
 * test checks.
 */
export function buildDpoStep(backend: Backend, w: Workload, precision?: Precision) {
  const g = new Graph();
  const pg = buildPreferenceGraph(g, w.model, {
    pairs: w.bench.pairs,
    T: w.T,
    objective: 'dpo',
    params: { beta: DPO_BETA },
    build: { lora: w.bench.lora },
  });
  const store = new ParamStore(backend, { precision });
  store.addFromGraph(g, (name) => Float32Array.from(w.init.get(name) as Float32Array));
  return { g, pg, store, feeds: feedsFor(g, w.feeds) };
}

export async function runOrchard(
  engine: EngineId,
  host: Host,
  backend: Backend,
  w: Workload,
  steps: StepCounts,
  opts: { rowLogps: boolean; precision?: Precision },
): Promise<RunResult> {
  const { g, pg, store, feeds } = buildDpoStep(backend, w, opts.precision);
  // Row log-probs for the TF.js check come from a separate forward, so the timed step reads back
  // only what a training loop needs (loss and grad norm).
  let rowLogps: number[] = [];
  if (opts.rowLogps) {
    const fwd = compileForward(g, [pg.rowSums], backend, store);
    rowLogps = [...(await fwd.run(feeds))[0]];
    fwd.dispose();
  }
  const train = compileTrainStep(g, pg.loss, [], backend, store, { trainable: w.trainable });
  const gpu = backend.name === 'webgpu' ? (backend as unknown as GpuStats) : null;

  const losses: number[] = [];
  for (let i = 0; i < steps.warmup; i++) losses.push((await train.step(feeds, HYPER)).loss);
  const before = gpu ? { ...gpu.counters } : null;
  // A step is submitted without blocking when its program ran inside the step() call itself, i.e.
  // before the previous step's loss (still being read back) was awaited.
  let blocking = 0;
  const timed = await timePipelined(steps.timed, () => {
    const runs = gpu?.counters.programRuns ?? 0;
    const pending = train.step(feeds, HYPER);
    if (gpu && gpu.counters.programRuns === runs) blocking++;
    return pending.then((r) => r.loss);
  });
  losses.push(...timed.losses);
  const times = timed.intervals;
  const counters =
    gpu && before ? { ...perStep(before, gpu.counters, steps.timed), blockingReadbacks: blocking / steps.timed } : null;
  const threads = (backend as { threads?: number }).threads ?? 1;
  // The kernel choices (autotuned per adapter on hardware), so a GPU row says what it timed.
  const kernels = gpu && [
    `matmul ${gpu.matmul}${gpu.matmul === 'tiled' ? ` ${gpu.matmulTile}` : ''}, rows ${gpu.rows}`,
    `skinny matmul ${gpu.subgroupSize === undefined ? 'with plain loads' : `with subgroup shuffles (size ${gpu.subgroupSize})`}`,
  ];
  const notes = kernels ?? [`CPU backend, ${threads} thread(s) for matmuls`];
  notes.push(`${train.stats.launchesPerUpdateStep} launches/step`);
  const result: RunResult = {
    ...timedRun(engine, host, w.bench, steps, times, losses, rowLogps),
    peakBytes: gpu ? gpu.memory.peakHeldBytes : null,
    peakSource: gpu
      ? 'WebGPU buffer pool: peak bytes held from the device (live + pooled buffers, size-class rounded)'
      : 'n/a (host memory)',
    analyticBytes: train.memory.totalBytes,
    counters,
    notes,
  };
  train.dispose();
  return result;
}

function perStep(a: BackendCounters, b: BackendCounters, n: number): Omit<RunCounters, 'blockingReadbacks'> {
  const d = (k: keyof BackendCounters) => (b[k] - a[k]) / n;
  return {
    dispatches: d('dispatches'),
    submissions: d('submissions'),
    programSubmissions: d('programRuns'),
    reads: d('reads'),
    bytesRead: d('bytesRead'),
    bytesWritten: d('bytesWritten'),
  };
}
