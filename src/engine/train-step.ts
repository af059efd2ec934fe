/**
 * compileTrainStep: forward + backward + (optionally) clip + AdamW, compiled once per graph.
 * See train-plan.ts for the four programs and session.ts for usage.
 */

import { LOSS_SEED_INPUT } from './autodiff.ts';
import type { Backend, DeviceTensor, Launch, Program, TensorView } from './backend.ts';
import type { Feeds } from './feeds.ts';
import { InputTensors } from './feeds.ts';
import type { CompileOptions } from './forward.ts';
import type { Graph, Node } from './graph.ts';
import { accountMemory, type MemoryEstimate } from './memory-accounting.ts';
import { fmtShape, numel } from './ops.ts';
import { type AdamWHyper, adamwHyperBuffer } from './optim/adamw.ts';
import type { ParamStore } from './params.ts';
import { materialize, type Plan, type PlannedView, resolveView } from './plan.ts';
import { readViews } from './readback.ts';
import { buildTrainGraph, planTrainStep, type TrainPlans } from './train-plan.ts';
import { TrainState } from './train-state.ts';
import { Workspace } from './workspace.ts';

export interface TrainStepOptions extends CompileOptions {
  /** Shared optimizer/accumulation state (one per run, shared by every bucket's train step). */
  state?: TrainState;
  /** Param names to train when no state is given (default: the store's params flagged trainable). */
  trainable?: readonly string[];
}

export interface StepResult {
  /** Sum of the loss node's elements (its value, for the usual scalar loss). */
  loss: number;
  /** The extra outputs, in order. */
  outputs: Float32Array[];
  /** Global L2 norm of the accumulated gradients before clipping; null when no update ran. */
  gradNorm: number | null;
  /** Whether this call applied an AdamW update. */
  updated: boolean;
}

export interface GradsResult {
  loss: number;
  outputs: Float32Array[];
  /** Gradient of the loss for each trainable param, on the host. */
  grads: Map<string, Float32Array>;
  gradNorm: number;
}

/** How one call weighs the loss before its gradient is taken. */
export interface LossScaleOptions {
  /**
   * The gradient is taken of sum(loss * lossScale): a number scales every element (1/N averages N
   * micro-batches); an array (the loss's element count) weighs each element, a vector-Jacobian
   * product. Default 1. The reported loss is never scaled.
   */
  lossScale?: number | Float32Array;
}

export interface TrainStep {
  readonly state: TrainState;
  /**
   * One micro-batch: forward + backward, gradients summed into the state's accumulators. With
   * `hyper`, also clips by the global norm and applies AdamW to every trainable param, which ends
   * the accumulation (the next call starts a fresh sum).
   */
  step(feeds: Feeds, hyper?: AdamWHyper, opts?: LossScaleOptions): Promise<StepResult>;
  /** Gradients only (for --grads-out); needs no accumulation in progress. Params are not changed. */
  grads(feeds: Feeds, opts?: LossScaleOptions): Promise<GradsResult>;
  readonly memory: MemoryEstimate;
  readonly stats: { launchesPerUpdateStep: number };
  dispose(): void;
}

type ProgramKind = 'first' | 'firstNorm' | 'firstUpdate' | 'accum' | 'accumUpdate';

export function compileTrainStep(
  graph: Graph,
  loss: Node,
  extraOutputs: readonly Node[],
  backend: Backend,
  params: ParamStore,
  opts: TrainStepOptions = {},
): TrainStep {
  for (const o of [loss, ...extraOutputs]) {
    if (o.dtype !== 'f32')
      throw new Error(`compileTrainStep: output #${o.id} (${o.op}) is ${o.dtype}; only f32 outputs can be read`);
  }
  if (opts.state && opts.trainable)
    throw new Error('compileTrainStep: pass either opts.state or opts.trainable (the state fixes the trainable list)');
  if (opts.state && opts.state.backend !== backend)
    throw new Error('compileTrainStep: opts.state belongs to another backend');
  const state = opts.state ?? new TrainState(backend, params, opts.trainable);
  const ownsState = !opts.state;

  const tg = buildTrainGraph(graph, loss, extraOutputs, state.trainable);
  const inputs = new InputTensors(backend, graph);
  const plans = planTrainStep(graph, tg, {
    bind: (leaf) =>
      leaf.op === 'param' ? params.tensorFor(leaf.attrs.name, leaf.shape) : inputs.tensorFor(leaf as Node<'input'>),
    accumulator: (name) => state.get(name).grad,
    gradNormSq: state.gradNormSq,
    reuse: opts.reuse,
    inPlace: opts.inPlace,
  });
  const workspace = opts.workspace ?? new Workspace(backend);
  workspace.tensorsFor(plans.sharedSlots);

  const updateLaunches: Launch[] = state.trainable.map((name): Launch<'adamw'> => {
    const shape = params.get(name).shape;
    const v = (tensor: DeviceTensor): TensorView => ({ tensor, shape, dtype: 'f32' });
    const s = state.get(name);
    const p = v(params.get(name).tensor);
    return {
      op: 'adamw',
      attrs: {},
      inputs: [
        p,
        v(s.grad),
        v(s.m),
        v(s.v),
        { tensor: state.hyper, shape: [8], dtype: 'f32' },
        { tensor: state.gradNormSq, shape: [1], dtype: 'f32' },
      ],
      output: p,
    };
  });

  const sources: Record<ProgramKind, [keyof TrainPlans['slotMaps'], boolean]> = {
    first: ['first', false],
    firstNorm: ['firstNorm', false],
    firstUpdate: ['firstNorm', true],
    accum: ['accum', false],
    accumUpdate: ['accumNorm', true],
  };
  let programs = new Map<ProgramKind, { program: Program; outViews: TensorView[] }>();
  let generation = workspace.generation;
  const programFor = (kind: ProgramKind) => {
    if (generation !== workspace.generation) {
      // Another session grew the shared workspace: every program here points at freed tensors.
      for (const { program } of programs.values()) program.dispose();
      programs = new Map();
      generation = workspace.generation;
    }
    let entry = programs.get(kind);
    if (!entry) {
      const [planKey, withUpdate] = sources[kind];
      const p: Plan = plans[planKey];
      const shared = workspace.tensorsFor(plans.sharedSlots);
      generation = workspace.generation;
      const slots = plans.slotMaps[planKey].map((i) => shared[i]);
      const program = backend.compile(materialize(p, slots, withUpdate ? updateLaunches : []));
      const outViews = [tg.loss, ...extraOutputs].map((n) => resolveView(p.views.get(n) as PlannedView, slots));
      entry = { program, outViews };
      programs.set(kind, entry);
    }
    return entry;
  };

  const normView: TensorView = { tensor: state.gradNormSq, shape: [1], dtype: 'f32' };
  /**
   * Writes feeds, runs and enqueues the reads without yielding (bad feeds throw before anything
   * runs); the returned promise resolves to the results.
   */
  const launch = (kind: ProgramKind, feeds: Feeds, readNorm: boolean, scale: LossScaleOptions | undefined) => {
    const { program, outViews } = programFor(kind);
    inputs.write(withLossScale(feeds, tg.loss, scale?.lossScale));
    program.run();
    const pending = readViews(backend, readNorm ? [...outViews, normView] : outViews);
    return pending.then(([lossValues, ...rest]) => {
      const normSq = readNorm ? (rest.pop() as Float32Array)[0] : Number.NaN;
      let lossSum = 0;
      for (const x of lossValues) lossSum += x;
      return { loss: lossSum, outputs: rest, gradNorm: Math.sqrt(normSq) };
    });
  };

  const shapeOf = (name: string) => params.get(name).shape;
  const paramNames = [...new Set(graph.params().map((p) => p.attrs.name))];
  const memory = accountMemory({
    params: paramNames.map(shapeOf),
    halfParams: paramNames.filter((name) => params.get(name).storage === 'f16').map(shapeOf),
    trainable: state.trainable.map(shapeOf),
    inputs: inputs.shapes(),
    slots: plans.sharedSlots,
  });

  return {
    state,
    async step(feeds, hyper, scale) {
      const first = state.microBatches === 0;
      if (hyper) backend.write(state.hyper, adamwHyperBuffer(hyper, state.step + 1));
      const kind: ProgramKind = first ? (hyper ? 'firstUpdate' : 'first') : hyper ? 'accumUpdate' : 'accum';
      const pending = launch(kind, feeds, !!hyper, scale);
      // The device work is queued: count it now, so a second call made before this one resolves
      // accumulates instead of overwriting.
      if (hyper) {
        state.step++;
        state.microBatches = 0;
      } else {
        state.microBatches++;
      }
      const r = await pending;
      return { loss: r.loss, outputs: r.outputs, gradNorm: hyper ? r.gradNorm : null, updated: !!hyper };
    },
    async grads(feeds, scale) {
      if (state.microBatches !== 0) {
        throw new Error(
          `grads: ${state.microBatches} micro-batch(es) are accumulating; finish them with step(feeds, hyper) first`,
        );
      }
      const pending = launch('firstNorm', feeds, true, scale);
      const names = state.trainable;
      const gradReads = readViews(
        backend,
        names.map((n) => ({ tensor: state.get(n).grad, shape: params.get(n).shape, dtype: 'f32' as const })),
      );
      const [r, host] = await Promise.all([pending, gradReads]);
      return {
        loss: r.loss,
        outputs: r.outputs,
        grads: new Map(names.map((n, i) => [n, host[i]])),
        gradNorm: r.gradNorm,
      };
    },
    memory,
    stats: { launchesPerUpdateStep: plans.firstNorm.launches.length + updateLaunches.length },
    dispose() {
      for (const { program } of programs.values()) program.dispose();
      programs.clear();
      if (!opts.workspace) workspace.dispose();
      inputs.dispose();
      if (ownsState) state.dispose();
    },
  };
}

/** The feeds plus the loss seed that realizes `lossScale` (none: the session writes ones). */
function withLossScale(feeds: Feeds, loss: Node, lossScale: number | Float32Array | undefined): Feeds {
  if (lossScale === undefined) return feeds;
  const n = numel(loss.shape);
  if (typeof lossScale === 'number') {
    if (!Number.isFinite(lossScale)) throw new Error(`lossScale must be a finite number, got ${lossScale}`);
    return { ...feeds, [LOSS_SEED_INPUT]: new Float32Array(n).fill(lossScale) };
  }
  if (lossScale.length !== n) {
    throw new Error(
      `lossScale: the loss is ${fmtShape(loss.shape)} (${n} values), got ${lossScale.length} weights; pass one per loss element or a number`,
    );
  }
  return { ...feeds, [LOSS_SEED_INPUT]: lossScale };
}
