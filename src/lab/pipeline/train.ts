/**
 * The train stage: one preference run on the shared training loop (loop.ts), with the plan's
 * schedule and clipping, TRL-named metrics per optimizer step, and checkpoints.
 *
 * Data order (the fairness rule): epoch e visits the experiment's WHOLE labelled pool in the order
 * `epochOrder(seed, e)`; a run keeps the pool entries it trains on, in that order. So DPO
 * (conditional pairs) and JPO (conditional + joint) see their shared conditional pairs in the same
 * relative order, and two runs on the same pairs see identical batches.
 *
 * Batches: `P = min(batchSize, pairs)` pairs per micro-batch, taken cyclically from the order
 * (crossing into the next epoch when one runs out), padded to the smallest length bucket that fits.
 * `trainingBatches` lists exactly those pairs without training (e.g. to feed another framework).
 */
import { bucketLength } from '../../data/sequence.ts';
import type { PreferenceRow } from '../../data/types.ts';
import {
  type Backend,
  buildPreferenceGraph,
  type EncodedRow,
  Graph,
  hostMetrics,
  LORA_DROPOUT_SEED,
  lrAt,
  type Node,
  objectiveSpec,
  padRows,
  type ReferenceTable,
  Rng,
  referenceFeeds,
  sequenceFeeds,
} from '../../engine/index.ts';
import type { Checkpoints, DataCursor } from '../checkpoint.ts';
import type { MetricsEvent, PipelineListener } from '../events.ts';
import type { RunPlan, TrainingPlan } from '../plan.ts';
import type { PairSet } from '../spec.ts';
import type { PreparedData } from './data-types.ts';
import { DivergedError, TrainingLoop } from './loop.ts';
import type { Policy } from './policy.ts';
import { deriveSeed } from './seeds.ts';

export interface RunData {
  /** The run's pairs, encoded with its objective's mask mode. */
  chosen: EncodedRow[];
  rejected: EncodedRow[];
  /** poolIndex[k]: the pool position of the run's pair k (the pool is every labelled pair). */
  poolIndex: number[];
  poolSize: number;
  reference: ReferenceTable | null;
}

/** The pool order of epoch e: a seeded permutation of 0..poolSize-1. */
export function epochOrder(seed: number, epoch: number, poolSize: number): number[] {
  const rng = new Rng(deriveSeed(seed, `epoch-${epoch}`));
  return rng.shuffle(Array.from({ length: poolSize }, (_, i) => i));
}

/** The key of a run's pairing under the "per-run" protocol: runs with the same joint share ask the same questions. */
export function pairingKey(run: Pick<RunPlan, 'jointShare'>): string {
  return `share:${run.jointShare}`;
}

/** The labelled list a run's pairs come from: its own pairing ("per-run" protocol) or the shared pool. */
export function runPoolOf(
  data: Pick<PreparedData, 'rows' | 'kinds' | 'perRun'>,
  run: Pick<RunPlan, 'jointShare'>,
): Pick<PreparedData, 'rows' | 'kinds'> {
  return data.perRun?.[pairingKey(run)] ?? data;
}

/** Which pool entries a run trains on, in pool order. */
export function selectPairs(data: Pick<PreparedData, 'kinds'>, pairs: PairSet): number[] {
  const out: number[] = [];
  data.kinds.forEach((k, i) => {
    if (pairs === 'both' || k === pairs) out.push(i);
  });
  return out;
}

/** Pairs per micro-batch and optimizer steps for a run of `pairs` pairs. */
export function runShape(training: TrainingPlan, pairs: number): { P: number; totalSteps: number } {
  if (pairs === 0) throw new Error('this run has no training pairs');
  const P = Math.min(training.batchSize, pairs);
  const totalSteps = training.steps ?? (training.epochs as number) * Math.ceil(pairs / (P * training.gradAccumulation));
  return { P, totalSteps };
}

/** Cyclic reader over the per-epoch orders, restricted to one run's pairs (run-local indices). */
class DataOrder {
  private order: number[] = [];
  private orderEpoch = -1;
  private readonly runOf: Map<number, number>;

  constructor(
    private readonly seed: number,
    poolIndex: readonly number[],
    private readonly poolSize: number,
    public cursor: DataCursor,
  ) {
    this.runOf = new Map(poolIndex.map((p, k) => [p, k]));
  }

  next(count: number): number[] {
    const out: number[] = [];
    while (out.length < count) {
      const order = this.epoch(this.cursor.epoch);
      if (this.cursor.offset >= order.length) {
        this.cursor = { epoch: this.cursor.epoch + 1, offset: 0 };
        continue;
      }
      out.push(order[this.cursor.offset]);
      this.cursor = { epoch: this.cursor.epoch, offset: this.cursor.offset + 1 };
    }
    return out;
  }

  private epoch(e: number): number[] {
    if (this.orderEpoch !== e) {
      this.order = [];
      for (const p of epochOrder(this.seed, e, this.poolSize)) {
        const k = this.runOf.get(p);
        if (k !== undefined) this.order.push(k);
      }
      this.orderEpoch = e;
    }
    return this.order;
  }
}

/** One micro-batch of a run, as trained: pool positions and the labelled rows themselves. */
export interface TrainingBatch {
  /** Optimizer step (1-based). */
  step: number;
  /** Micro-batch within the step (0-based; gradient accumulation). */
  micro: number;
  poolIndex: number[];
  rows: PreferenceRow[];
}

/**
 * Every micro-batch a run trains on, in order: the exact pairs `trainRun` feeds (ties already
 * dropped when the pool was built; the seeded data order applied). Pure: no model, no backend.
 */
export function trainingBatches(
  prepared: Pick<PreparedData, 'rows' | 'kinds' | 'perRun'>,
  run: Pick<RunPlan, 'pairs' | 'label' | 'jointShare'>,
  training: TrainingPlan,
): TrainingBatch[] {
  const data = runPoolOf(prepared, run);
  const poolIndex = selectPairs(data, run.pairs);
  if (poolIndex.length === 0) throw new Error(`run "${run.label}" trains on ${run.pairs} pairs, but the pool has none`);
  const { P, totalSteps } = runShape(training, poolIndex.length);
  const order = new DataOrder(training.orderSeed, poolIndex, data.rows.length, { epoch: 0, offset: 0 });
  const out: TrainingBatch[] = [];
  for (let step = 1; step <= totalSteps; step++) {
    for (let micro = 0; micro < training.gradAccumulation; micro++) {
      const pool = order.next(P).map((k) => poolIndex[k]);
      out.push({ step, micro, poolIndex: pool, rows: pool.map((p) => data.rows[p]) });
    }
  }
  return out;
}

export interface TrainRunOptions {
  policy: Policy;
  backend: Backend;
  padId: number;
  training: TrainingPlan;
  run: RunPlan;
  data: RunData;
  emit: PipelineListener;
  /** The pause gate (does not throw on abort: the run saves a checkpoint first). */
  gate: () => Promise<void>;
  signal?: AbortSignal;
  now: () => number;
  checkpoints: Checkpoints | null;
  /** Save every this many optimizer steps (0: only when cancelled and when done). */
  checkpointEvery: number;
  /** Hands the trainable params at these steps (and at the last) to the caller (./snapshots.ts). */
  snapshot?: RunSnapshots;
}

export interface RunSnapshots {
  steps: ReadonlySet<number>;
  take: (step: number, trainable: Map<string, Float32Array>) => void;
}

export interface TrainRunOutcome {
  /** 'failed': the run diverged (`error` says at which step and what to change). */
  status: 'completed' | 'cancelled' | 'failed';
  error?: string;
  steps: number;
  totalSteps: number;
  metrics: MetricsEvent[];
  /** Trainable params at the end (the adapters under LoRA). */
  trained: Map<string, Float32Array>;
}

/** What to change when a preference run diverges. */
export function divergenceFix(run: RunPlan): string {
  const beta = `runs[${run.index}].${run.objective === 'orpo' ? 'orpoLambda' : 'beta'}`;
  // IPO regresses the margin onto 1/(2β): a tiny β, not a large one, makes its loss explode.
  const betaFix = run.objective === 'ipo' ? `a larger β (${beta})` : `a smaller β (${beta})`;
  return `lower optimizer.lr, enable gradient clipping (optimizer.maxGradNorm, e.g. 1), or use ${betaFix}`;
}

export async function trainRun(o: TrainRunOptions): Promise<TrainRunOutcome> {
  const { policy, run, data, training } = o;
  const objective = objectiveSpec(run.objective);
  const { P, totalSteps } = runShape(training, data.chosen.length);
  const schedule = {
    schedule: training.schedule.kind,
    lr: training.lr,
    warmupSteps: training.schedule.warmupSteps,
    totalSteps,
  };
  let metricNames: string[] = [];
  let hasRewards = false;
  const graph = (T: number) => {
    const g = new Graph();
    const pg = buildPreferenceGraph(g, policy.model, {
      pairs: P,
      T,
      objective: objective.name,
      params: run.loss,
      build: { ...policy.build, training: true },
    });
    metricNames = Object.keys(pg.metrics).sort();
    hasRewards = !!pg.rewards;
    const outputs: Node[] = metricNames.map((k) => pg.metrics[k]);
    if (pg.rewards) outputs.push(pg.rewards.chosen, pg.rewards.rejected);
    return { g, loss: pg.loss, outputs };
  };

  policy.reset();
  if (o.snapshot?.steps.has(0)) o.snapshot.take(0, await policy.readTrainable());
  o.emit({ kind: 'run-started', run: run.label, objective: run.objective, totalSteps });
  const loop = new TrainingLoop(policy, o.backend, graph);
  const order = new DataOrder(training.orderSeed, data.poolIndex, data.poolSize, { epoch: 0, offset: 0 });
  let metrics: MetricsEvent[] = [];
  const save = async (done: boolean, trained?: Map<string, Float32Array>) => {
    if (!o.checkpoints) return;
    const params = trained ?? (await policy.readTrainable());
    const moments = done ? { m: null, v: null } : await loop.moments();
    await o.checkpoints.saveRun({
      fingerprint: run.fingerprint,
      run: run.label,
      step: loop.step,
      cursor: order.cursor,
      done,
      params,
      ...moments,
      metrics,
    });
  };
  try {
    const ck = o.checkpoints ? await o.checkpoints.run(run.label, run.fingerprint) : null;
    if (ck) {
      policy.loadTrainable(ck.params);
      metrics = ck.metrics;
      order.cursor = ck.cursor;
      o.emit({ kind: 'run-resumed', run: run.label, step: ck.step, done: ck.done });
      for (const m of ck.metrics) o.emit({ ...m, restored: true });
      if (ck.done) {
        o.snapshot?.take(ck.step, ck.params);
        o.emit({ kind: 'run-finished', run: run.label, steps: ck.step });
        return { status: 'completed', steps: ck.step, totalSteps, metrics, trained: ck.params };
      }
      loop.restore(ck.step, ck.m ?? new Map(), ck.v ?? new Map(), `checkpoint of ${run.label}`);
      o.emit({ kind: 'log', level: 'info', message: `${run.label}: resumed from the checkpoint at step ${ck.step}` });
    }
    const status = await loop.run({
      what: run.label,
      divergenceFix: divergenceFix(run),
      totalSteps,
      accumulation: training.gradAccumulation,
      gate: o.gate,
      signal: o.signal,
      now: o.now,
      hyper: (done) => ({ lr: lrAt(done, schedule), ...training.optimizer }),
      microBatch: () => {
        // LoRA dropout's mask: seeded by where in the data order this micro-batch starts, so a
        // resumed run draws the same masks as an uninterrupted one.
        const at = { ...order.cursor };
        const idx = order.next(P);
        const rows = [...idx.map((i) => data.chosen[i]), ...idx.map((i) => data.rejected[i])];
        const T = bucketLength(Math.max(...rows.map((r) => r.ids.length)));
        const batch = padRows(rows, o.padId, T);
        const feeds = sequenceFeeds(
          batch,
          idx.map((_, k) => k),
        );
        if (objective.usesReference && data.reference) {
          Object.assign(feeds, referenceFeeds(data.reference, objective.logps, idx));
        }
        if ((policy.lora?.dropout ?? 0) > 0) {
          const seed = deriveSeed(training.orderSeed, `lora-dropout-${at.epoch}-${at.offset}`);
          feeds[LORA_DROPOUT_SEED] = Int32Array.of(seed | 0);
        }
        let tokens = 0;
        for (const len of batch.lengths) tokens += len;
        return { T, feeds, tokens };
      },
      afterStep: async (s) => {
        const sums: Record<string, number> = {};
        for (const out of s.outputs) {
          const scalars = Object.fromEntries(metricNames.map((k, i) => [k, out[i]]));
          const rewards = hasRewards
            ? { chosen: out[metricNames.length], rejected: out[metricNames.length + 1] }
            : undefined;
          for (const [k, v] of Object.entries(hostMetrics(scalars, rewards))) {
            sums[k] = (sums[k] ?? 0) + v / training.gradAccumulation;
          }
        }
        const event: MetricsEvent = {
          kind: 'metrics',
          run: run.label,
          objective: run.objective,
          step: s.step,
          loss: s.loss,
          metrics: sortedRecord(sums),
          grad_norm: s.gradNorm,
          learning_rate: lrAt(s.step - 1, schedule),
          tokens_per_s: s.tokens / s.seconds,
        };
        metrics.push(event);
        o.emit(event);
        o.emit({
          kind: 'progress',
          stage: 'train',
          run: run.label,
          done: s.step,
          total: totalSteps,
          message: `step ${s.step}/${totalSteps}`,
        });
        if (o.checkpointEvery > 0 && s.step % o.checkpointEvery === 0 && s.step < totalSteps) await save(false);
        if (o.snapshot?.steps.has(s.step) && s.step < totalSteps) o.snapshot.take(s.step, await policy.readTrainable());
      },
    });
    if (status === 'cancelled') {
      await save(false);
      return { status, steps: loop.step, totalSteps, metrics, trained: await policy.readTrainable() };
    }
    const trained = await policy.readTrainable();
    o.snapshot?.take(loop.step, trained);
    await save(true, trained);
    o.emit({ kind: 'run-finished', run: run.label, steps: loop.step });
    return { status, steps: loop.step, totalSteps, metrics, trained };
  } catch (err) {
    if (!(err instanceof DivergedError)) throw err;
    // Only this run stops; its metrics up to the failure are kept, and the other runs go on.
    o.emit({ kind: 'run-failed', run: run.label, step: err.step, message: err.message });
    o.emit({ kind: 'log', level: 'warn', message: err.message });
    return { status: 'failed', error: err.message, steps: err.step - 1, totalSteps, metrics, trained: new Map() };
  } finally {
    loop.dispose();
  }
}

function sortedRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(r)
      .sort()
      .map((k) => [k, r[k]]),
  );
}
