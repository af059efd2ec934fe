/**
 * The run pipeline: one experiment spec, from the model to the win-rates (run-experiment.ts).
 *
 *   const result = await runExperiment(spec, {
 *     backend: (choice) => createBackend('cpu'),     // or a Backend
 *     resolvers: await nodeResolvers(),             // or createResolvers({...}) in the browser
 *     checkpoints: new MemoryCheckpointStore(), checkpointEvery: 10,
 *     signal: abort.signal, gate: pause.gate,
 *   }, (event) => ...);
 *
 * One module per stage: load.ts, sft.ts, sample.ts, judge-and-pair.ts, reference.ts, train.ts
 * (on the one training loop, loop.ts, that SFT shares), evaluate.ts.
 */
export { type CheckpointStore, Checkpoints, MemoryCheckpointStore } from '../checkpoint.ts';
export type { ExperimentResult, PipelineEnv, RunResult } from './context.ts';
export { blindOrder } from './evaluate.ts';
export { PauseController } from './gate.ts';
export { DivergedError } from './loop.ts';
export { runExperiment } from './run-experiment.ts';
export { evenlySpacedSteps, type SnapshotContext, type TrainingSnapshots } from './snapshots.ts';
export { type TrainingBatch, trainingBatches } from './train.ts';
