/**
 * The engine's public API: load weights into a ParamStore, compile a graph once per
 * (batch size, length bucket), run it many times.
 *
 *   const backend = new CpuBackend();                        // or a WebGPU backend
 *   const params = new ParamStore(backend);
 *   params.add('wte', [V, D], hostWeights);                  // one entry per graph param
 *   const fwd = compileForward(graph, [logps], backend, params);
 *   const [lp] = await fwd.run({ ids, mask });               // feeds keyed by input name
 *
 *   const state = new TrainState(backend, params, ['lora.q.A', 'lora.q.B']); // grads + AdamW m, v
 *   const train = compileTrainStep(graph, loss, [rewards], backend, params, { state });
 *   await train.step(feeds);                                  // micro-batch: grads accumulate
 *   const r = await train.step(feeds, { lr, ...ADAMW_DEFAULTS }); // last micro-batch: clip + AdamW
 *   r.loss; r.outputs; r.gradNorm;
 *
 * One TrainState may be shared by the train steps of several buckets (micro-batches of different
 * lengths accumulate into the same gradient buffers), and one Workspace by every session that never
 * runs concurrently with another (opts.workspace: intermediates sized by the largest bucket, not
 * the sum). estimateMemory gives the same byte counts before anything is allocated. Gradients are plain sums over micro-batches:
 * pass `{ lossScale: 1 / N }` to step() (or scale the loss in the graph) if you want a mean. A
 * non-scalar loss means the sum of its elements (or of loss * lossScale for an array scale).
 */

export { buildBackward } from './autodiff.ts';
export { type CompileOptions, compileForward, type Feeds, type ForwardSession } from './forward.ts';
export { estimateMemory, type MemoryEstimate, type MemoryRequest } from './memory.ts';
export { ADAMW_DEFAULTS, type AdamWHyper } from './optim/adamw.ts';
export { lrAt, type Schedule, type ScheduleKind } from './optim/schedule.ts';
export { type ParamEntry, ParamStore } from './params.ts';
export { TrainState } from './train-state.ts';
export {
  compileTrainStep,
  type GradsResult,
  type LossScaleOptions,
  type StepResult,
  type TrainStep,
  type TrainStepOptions,
} from './train-step.ts';
export { Workspace } from './workspace.ts';
