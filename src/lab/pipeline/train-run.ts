/**
 * Trains one run of the spec: compiled preference train steps (one per length bucket, sharing one
 * TrainState), gradient accumulation, AdamW with the spec's schedule and clipping, TRL-named
 * metrics per optimizer step, pause gate and cancellation between steps, and checkpoints.
 *
 * Data order (the fairness rule): epoch e visits the experiment's WHOLE labelled pool in the order
 * `epochOrder(seed, e)`; a run keeps the pool entries it trains on, in that order. So DPO
 * (conditional pairs) and JPO (conditional + joint) see their shared conditional pairs in the same
 * relative order, and two runs on the same pairs see identical batches.
 *
 * Batches: `P = min(batchSize, pairs)` pairs per micro-batch, taken cyclically from the order
 * (crossing into the next epoch when one runs out), padded to the smallest length bucket that fits.
 * With gradient accumulation N the loss gradient is seeded with 1/N, so an update follows the mean
 * gradient of the N micro-batches; the logged loss and metrics are the means over them.
 */
import { bucketLength } from '../../data/sequence.ts';
import { LOSS_SEED_INPUT } from '../../engine/autodiff.ts';
import type { Backend } from '../../engine/backend.ts';
import { Graph, type Node } from '../../engine/graph.ts';
import { type Feeds, feedsFor, padRows, sequenceFeeds } from '../../engine/logprobs.ts';
import { buildPreferenceGraph, hostMetrics, objectiveSpec } from '../../engine/objectives/index.ts';
import type { AdamWHyper } from '../../engine/optim/adamw.ts';
import { lrAt } from '../../engine/optim/schedule.ts';
import { Rng } from '../../engine/random.ts';
import { type EncodedRow, type ReferenceTable, referenceFeeds } from '../../engine/reference.ts';
import { TrainState } from '../../engine/train-state.ts';
import { compileTrainStep, type TrainStep } from '../../engine/train-step.ts';
import { type CheckpointStore, type DataCursor, decodeCheckpoint, encodeCheckpoint } from '../checkpoint.ts';
import type { MetricsEvent, PipelineListener } from '../events.ts';
import type { ExperimentSpec, RunSpec } from '../spec.ts';
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

export interface RunCheckpointing {
  store: CheckpointStore;
  key: string;
  specHash: string;
  /** Save every this many optimizer steps (0: only when cancelled and when done). */
  every: number;
}

export interface TrainRunOptions {
  policy: Policy;
  backend: Backend;
  padId: number;
  spec: ExperimentSpec;
  run: RunSpec;
  data: RunData;
  /** Seed of the data order (the same for every run of an experiment). */
  orderSeed: number;
  emit: PipelineListener;
  gate: () => Promise<void>;
  signal?: AbortSignal;
  checkpoint?: RunCheckpointing;
  now: () => number;
}

export interface TrainRunOutcome {
  status: 'completed' | 'cancelled';
  steps: number;
  totalSteps: number;
  metrics: MetricsEvent[];
  /** Trainable params at the end (the adapters under LoRA). */
  trained: Map<string, Float32Array>;
}

/** The pool order of epoch e: a seeded permutation of 0..poolSize-1. */
export function epochOrder(seed: number, epoch: number, poolSize: number): number[] {
  const rng = new Rng(deriveSeed(seed, `epoch-${epoch}`));
  return rng.shuffle(Array.from({ length: poolSize }, (_, i) => i));
}

/** Pairs per micro-batch and optimizer steps for a run of `pairs` pairs. */
export function runShape(spec: ExperimentSpec, pairs: number): { P: number; totalSteps: number } {
  if (pairs === 0) throw new Error('this run has no training pairs');
  const P = Math.min(spec.batchSize, pairs);
  const totalSteps = spec.steps ?? (spec.epochs as number) * Math.ceil(pairs / (P * spec.gradAccumulation));
  return { P, totalSteps };
}

/** Cyclic reader over the per-epoch orders, restricted to one run's pairs. */
class DataOrder {
  private order: number[] = [];
  private orderEpoch = -1;
  private readonly runOf: Map<number, number>;

  constructor(
    private readonly seed: number,
    private readonly data: RunData,
    public cursor: DataCursor,
  ) {
    this.runOf = new Map(data.poolIndex.map((p, k) => [p, k]));
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
      for (const p of epochOrder(this.seed, e, this.data.poolSize)) {
        const k = this.runOf.get(p);
        if (k !== undefined) this.order.push(k);
      }
      this.orderEpoch = e;
    }
    return this.order;
  }
}

interface CompiledBucket {
  g: Graph;
  train: TrainStep;
  metricNames: string[];
  hasRewards: boolean;
}

export async function trainRun(o: TrainRunOptions): Promise<TrainRunOutcome> {
  const { policy, backend, spec, run, data } = o;
  const objective = objectiveSpec(run.objective);
  const { P, totalSteps } = runShape(spec, data.chosen.length);
  const accum = spec.gradAccumulation;
  const schedule = {
    schedule: spec.schedule.kind,
    lr: spec.optimizer.lr,
    warmupSteps: spec.schedule.warmupSteps,
    totalSteps,
  };
  const objectiveParams =
    run.objective === 'orpo'
      ? { beta: run.orpoLambda, labelSmoothing: run.labelSmoothing, simpoGamma: run.simpoGamma } // TRL's ORPO β is λ
      : { beta: run.beta, labelSmoothing: run.labelSmoothing, simpoGamma: run.simpoGamma };

  policy.reset();
  const state = new TrainState(backend, policy.store, policy.trainable);
  const buckets = new Map<number, CompiledBucket>();
  const bucketFor = (T: number): CompiledBucket => {
    let b = buckets.get(T);
    if (!b) {
      const g = new Graph();
      const pg = buildPreferenceGraph(g, policy.model, {
        pairs: P,
        T,
        objective: objective.name,
        params: objectiveParams,
        build: policy.build,
      });
      const metricNames = Object.keys(pg.metrics).sort();
      const outputs: Node[] = metricNames.map((k) => pg.metrics[k]);
      if (pg.rewards) outputs.push(pg.rewards.chosen, pg.rewards.rejected);
      const train = compileTrainStep(g, pg.loss, outputs, backend, policy.store, { state });
      b = { g, train, metricNames, hasRewards: !!pg.rewards };
      buckets.set(T, b);
    }
    return b;
  };

  let step = 0;
  let metrics: MetricsEvent[] = [];
  const order = new DataOrder(o.orderSeed, data, { epoch: 0, offset: 0 });

  try {
    const resumed = await restore(o, state);
    if (resumed) {
      step = resumed.step;
      metrics = resumed.metrics;
      order.cursor = resumed.cursor;
      if (resumed.done) {
        return { status: 'completed', steps: step, totalSteps, metrics, trained: resumed.params };
      }
      o.emit({ kind: 'log', level: 'info', message: `${run.label}: resumed from the checkpoint at step ${step}` });
    }

    while (step < totalSteps) {
      await o.gate();
      if (o.signal?.aborted) {
        await save(o, state, step, order.cursor, metrics, false);
        return { status: 'cancelled', steps: step, totalSteps, metrics, trained: await policy.readTrainable() };
      }
      const t0 = o.now();
      const lr = lrAt(step, schedule);
      const hyper: AdamWHyper = {
        lr,
        beta1: spec.optimizer.beta1,
        beta2: spec.optimizer.beta2,
        eps: spec.optimizer.eps,
        weightDecay: spec.optimizer.weightDecay,
        maxGradNorm: spec.optimizer.maxGradNorm ?? 0,
      };
      let loss = 0;
      let tokens = 0;
      let gradNorm = 0;
      const sums: Record<string, number> = {};
      for (let micro = 0; micro < accum; micro++) {
        const idx = order.next(P);
        const rows = [...idx.map((i) => data.chosen[i]), ...idx.map((i) => data.rejected[i])];
        const T = bucketLength(Math.max(...rows.map((r) => r.ids.length)));
        const b = bucketFor(T);
        const batch = padRows(rows, o.padId, T);
        const feeds: Feeds = sequenceFeeds(
          batch,
          idx.map((_, k) => k),
        );
        if (objective.usesReference && data.reference)
          Object.assign(feeds, referenceFeeds(data.reference, objective.logps, idx));
        if (accum > 1) feeds[LOSS_SEED_INPUT] = Float32Array.of(1 / accum);
        const last = micro === accum - 1;
        const r = await b.train.step(feedsFor(b.g, feeds), last ? hyper : undefined);
        if (last) gradNorm = r.gradNorm as number;
        loss += r.loss / accum;
        for (const len of batch.lengths) tokens += len;
        const scalars = Object.fromEntries(b.metricNames.map((k, i) => [k, r.outputs[i]]));
        const rewards = b.hasRewards
          ? { chosen: r.outputs[b.metricNames.length], rejected: r.outputs[b.metricNames.length + 1] }
          : undefined;
        for (const [k, v] of Object.entries(hostMetrics(scalars, rewards))) sums[k] = (sums[k] ?? 0) + v / accum;
      }
      step++;
      if (!Number.isFinite(loss)) {
        throw new Error(
          `${run.label}: the loss is not finite at step ${step} (training diverged); lower optimizer.lr or β`,
        );
      }
      const seconds = Math.max((o.now() - t0) / 1000, 1e-9);
      const event: MetricsEvent = {
        kind: 'metrics',
        run: run.label,
        objective: run.objective,
        step,
        loss,
        metrics: sortedRecord(sums),
        grad_norm: gradNorm,
        learning_rate: lr,
        tokens_per_s: tokens / seconds,
      };
      metrics.push(event);
      o.emit(event);
      o.emit({
        kind: 'progress',
        stage: 'train',
        run: run.label,
        done: step,
        total: totalSteps,
        message: `step ${step}/${totalSteps}`,
      });
      if (o.checkpoint && o.checkpoint.every > 0 && step % o.checkpoint.every === 0 && step < totalSteps) {
        await save(o, state, step, order.cursor, metrics, false);
      }
    }
    const trained = await policy.readTrainable();
    await saveDone(o, trained, step, order.cursor, metrics);
    return { status: 'completed', steps: step, totalSteps, metrics, trained };
  } finally {
    for (const b of buckets.values()) b.train.dispose();
    state.dispose();
  }
}

async function restore(
  o: TrainRunOptions,
  state: TrainState,
): Promise<{
  step: number;
  cursor: DataCursor;
  metrics: MetricsEvent[];
  done: boolean;
  params: Map<string, Float32Array>;
} | null> {
  const c = o.checkpoint;
  if (!c) return null;
  const bytes = await c.store.load(c.key);
  if (!bytes) return null;
  const ck = decodeCheckpoint(bytes, `checkpoint ${c.key}`);
  if (ck.specHash !== c.specHash || ck.run !== o.run.label) {
    o.emit({ kind: 'log', level: 'warn', message: `${o.run.label}: ignoring a checkpoint made for another spec` });
    return null;
  }
  o.policy.loadTrainable(ck.params);
  if (!ck.done) {
    for (const name of o.policy.trainable) {
      const s = state.get(name);
      const m = ck.m?.get(name);
      const v = ck.v?.get(name);
      if (!m || !v) throw new Error(`checkpoint ${c.key}: no optimizer state for "${name}"`);
      o.backend.write(s.m, m);
      o.backend.write(s.v, v);
    }
    state.step = ck.step;
  }
  return { step: ck.step, cursor: ck.cursor, metrics: ck.metrics, done: ck.done, params: ck.params };
}

async function save(
  o: TrainRunOptions,
  state: TrainState,
  step: number,
  cursor: DataCursor,
  metrics: MetricsEvent[],
  done: boolean,
): Promise<void> {
  const c = o.checkpoint;
  if (!c) return;
  const params = await o.policy.readTrainable();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const name of o.policy.trainable) {
    const s = state.get(name);
    m.set(name, (await o.backend.read(s.m)) as Float32Array);
    v.set(name, (await o.backend.read(s.v)) as Float32Array);
  }
  const bytes = encodeCheckpoint({ specHash: c.specHash, run: o.run.label, step, cursor, done, params, m, v, metrics });
  await c.store.save(c.key, bytes);
}

async function saveDone(
  o: TrainRunOptions,
  params: Map<string, Float32Array>,
  step: number,
  cursor: DataCursor,
  metrics: MetricsEvent[],
): Promise<void> {
  const c = o.checkpoint;
  if (!c) return;
  const bytes = encodeCheckpoint({
    specHash: c.specHash,
    run: o.run.label,
    step,
    cursor,
    done: true,
    params,
    m: null,
    v: null,
    metrics,
  });
  await c.store.save(c.key, bytes);
}

function sortedRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(r)
      .sort()
      .map((k) => [k, r[k]]),
  );
}
