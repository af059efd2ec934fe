/**
 * THE training loop, shared by SFT and preference training: per optimizer step, `accumulation`
 * micro-batches through a compiled train step (one per length bucket, all sharing one TrainState),
 * each loss scaled by 1/N (the engine's lossScale) so an update follows the mean gradient, then AdamW with the
 * step's hyper-parameters. The caller says what a micro-batch is, which graph a bucket compiles,
 * and what to do after each step (log metrics, checkpoint).
 *
 * Between steps the pause gate is awaited and cancellation checked (the caller saves on cancel).
 * After each step the loss and the gradient norm, values the step already read back, must be
 * finite: a diverged step throws DivergedError naming the step and what to change.
 */
import {
  type AdamWHyper,
  type Backend,
  compileTrainStep,
  type Feeds,
  feedsFor,
  type Graph,
  type Node,
  TrainState,
  type TrainStep,
} from '../../engine/index.ts';
import type { Policy } from './policy.ts';

/** The graph of one length bucket: its loss and the extra outputs read back each micro-batch. */
export interface LoopGraph {
  g: Graph;
  loss: Node;
  outputs: Node[];
}

export interface MicroBatch {
  /** The padded length (the bucket). */
  T: number;
  feeds: Feeds;
  /** Real (unpadded) tokens, for tokens_per_s. */
  tokens: number;
}

export interface LoopStep {
  /** Optimizer steps done, this one included (1-based). */
  step: number;
  /** Mean loss over the micro-batches. */
  loss: number;
  gradNorm: number;
  /** Extra outputs of each micro-batch, in order. */
  outputs: Float32Array[][];
  tokens: number;
  seconds: number;
}

/** A step whose loss or gradient norm is NaN or infinite. */
export class DivergedError extends Error {
  override name = 'DivergedError';
  constructor(
    readonly what: string,
    readonly step: number,
    quantity: string,
    value: number,
    fix: string,
  ) {
    super(`${what}: the ${quantity} is ${value} at step ${step} (training diverged); ${fix}`);
  }
}

export interface LoopRunOptions {
  /** Names the run in messages ('DPO', 'SFT'). */
  what: string;
  /** What to change when the run diverges. */
  divergenceFix: string;
  totalSteps: number;
  accumulation: number;
  microBatch: () => MicroBatch;
  /** AdamW's hyper-parameters for the update after `done` steps. */
  hyper: (done: number) => AdamWHyper;
  gate: () => Promise<void>;
  signal?: AbortSignal;
  now: () => number;
  afterStep: (s: LoopStep) => Promise<void> | void;
}

export class TrainingLoop {
  readonly state: TrainState;
  /** Optimizer steps done. */
  step = 0;
  private readonly buckets = new Map<number, { g: Graph; train: TrainStep }>();

  constructor(
    private readonly policy: Policy,
    private readonly backend: Backend,
    private readonly graph: (T: number) => LoopGraph,
  ) {
    this.state = new TrainState(backend, policy.store, policy.trainable);
  }

  /** Continues from a checkpoint: AdamW's moments after `step` updates (params are the caller's). */
  restore(step: number, m: ReadonlyMap<string, Float32Array>, v: ReadonlyMap<string, Float32Array>, where: string) {
    for (const name of this.policy.trainable) {
      const s = this.state.get(name);
      const mi = m.get(name);
      const vi = v.get(name);
      if (!mi || !vi) throw new Error(`${where}: no optimizer state for "${name}"`);
      this.backend.write(s.m, mi);
      this.backend.write(s.v, vi);
    }
    this.state.step = step;
    this.step = step;
  }

  /** AdamW's moments, for a checkpoint. */
  async moments(): Promise<{ m: Map<string, Float32Array>; v: Map<string, Float32Array> }> {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const name of this.policy.trainable) {
      const s = this.state.get(name);
      m.set(name, (await this.backend.read(s.m)) as Float32Array);
      v.set(name, (await this.backend.read(s.v)) as Float32Array);
    }
    return { m, v };
  }

  /** Trains up to o.totalSteps; 'cancelled' when the signal aborted between steps. */
  async run(o: LoopRunOptions): Promise<'completed' | 'cancelled'> {
    const accum = o.accumulation;
    while (this.step < o.totalSteps) {
      await o.gate();
      if (o.signal?.aborted) return 'cancelled';
      const t0 = o.now();
      const hyper = o.hyper(this.step);
      let loss = 0;
      let tokens = 0;
      let gradNorm = 0;
      const outputs: Float32Array[][] = [];
      for (let micro = 0; micro < accum; micro++) {
        const batch = o.microBatch();
        const b = this.bucket(batch.T);
        const last = micro === accum - 1;
        const scale = accum > 1 ? { lossScale: 1 / accum } : undefined;
        const r = await b.train.step(feedsFor(b.g, batch.feeds), last ? hyper : undefined, scale);
        if (last) gradNorm = r.gradNorm as number;
        loss += r.loss / accum;
        tokens += batch.tokens;
        outputs.push(r.outputs);
      }
      this.step++;
      if (!Number.isFinite(loss)) throw new DivergedError(o.what, this.step, 'loss', loss, o.divergenceFix);
      if (!Number.isFinite(gradNorm)) {
        throw new DivergedError(o.what, this.step, 'gradient norm', gradNorm, o.divergenceFix);
      }
      const seconds = Math.max((o.now() - t0) / 1000, 1e-9);
      await o.afterStep({ step: this.step, loss, gradNorm, outputs, tokens, seconds });
    }
    return 'completed';
  }

  dispose(): void {
    for (const b of this.buckets.values()) b.train.dispose();
    this.buckets.clear();
    this.state.dispose();
  }

  private bucket(T: number): { g: Graph; train: TrainStep } {
    let b = this.buckets.get(T);
    if (!b) {
      const { g, loss, outputs } = this.graph(T);
      b = { g, train: compileTrainStep(g, loss, outputs, this.backend, this.policy.store, { state: this.state }) };
      this.buckets.set(T, b);
    }
    return b;
  }
}
