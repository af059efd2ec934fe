/**
 * The engine's front door: everything the lab, the CLI and the UI use from the engine comes from
 * here (Node-only helpers from ./node.ts). Files behind it are internal and may move; importing
 * them directly from outside src/engine is reserved for tests and benchmarks.
 */

// Backends.
export type { Backend, DeviceTensor } from './backend.ts';
// WebGPU capability probe, and what backend "auto" picks.
export {
  type AdapterIdentity,
  type BackendDecision,
  type BackendRequest,
  chooseBackend,
} from './backends/auto-choice.ts';
export { CpuBackend, type CpuBackendOptions } from './backends/cpu/backend.ts';
export { BACKEND_NAMES, type BackendName, createBackend } from './backends/create.ts';
export type {
  CapabilityReport,
  OrchardDevice,
  OrchardFeatureName,
  OrchardLimitName,
} from './backends/webgpu/device.ts';
export { identifyAdapter } from './backends/webgpu/device.ts';
// Type only: importing the front door never loads WebGPU code (createBackend loads it on demand).
export type { BackendCounters, WebGPUBackend } from './backends/webgpu/index.ts';
// Generation and randomness.
export {
  type FinishReason,
  type GenerateOptions,
  type GenerateResult,
  Generator,
  type GeneratorOptions,
  generate,
  rowSeed,
} from './generate.ts';
export type { MatmulCheck } from './gpu-probe/check.ts';
export {
  type ProbeEnvironment,
  type ProbeHost,
  type ProbeReport,
  type ProbeResult,
  probeBackend,
} from './gpu-probe/probe.ts';
// Graphs, compiled sessions, training (session.ts is the compile-and-run API).
export { Graph, type Node, ShapeError } from './graph.ts';
// Sequences, objectives, reference log-probs.
export {
  buildSequenceLogps,
  buildSequenceStats,
  feedsFor,
  type HostBatch,
  type MaskMode,
  padRows,
  type Reduction,
  SEQ_INPUTS,
  type SequenceLogpsNodes,
  type SequenceLogpsOptions,
  sequenceFeeds,
} from './logprobs.ts';
export {
  type AdapterFiles,
  defaultTargetModules,
  initLoraWeights,
  LORA_DROPOUT_SEED,
  type LoraConfig,
  type LoraTarget,
  loadAdapter,
  loraParamNames,
  loraScaling,
  mergeLora,
  saveAdapter,
  selectTargets,
  targetsModule,
} from './lora.ts';
// Will a session fit on this device? Checked before any graph or buffer is built.
export {
  checkFits,
  estimateSessionMemory,
  formatBytes,
  type MemoryBudget,
  type ModelDims,
  ModelDoesNotFitError,
  type SessionMemoryEstimate,
  type SessionMemoryRequest,
} from './memory-fit.ts';
// Models, weights, adapters.
export {
  type Arch,
  type BuildOptions,
  expectedParams,
  type LoadedModel,
  loadModel,
  type ModelConfig,
  type ModelFiles,
  modelFromTensors,
  modelFromWeights,
} from './models/index.ts';
export { modelFiles } from './models/save.ts';
export { type EvaluateOptions, type EvaluateResult, evaluateObjective } from './objectives/evaluate.ts';
export {
  buildLoss,
  buildPreferenceGraph,
  hostMetrics,
  OBJECTIVES,
  type ObjectiveName,
  type ObjectiveNodes,
  type ObjectiveParams,
  type ObjectiveSpec,
  objectiveSpec,
  type PairLogps,
  type PreferenceGraph,
  REF_INPUTS,
  rewardAccuracy,
} from './objectives/index.ts';
// Kernel choices a spec can force (memory-lean attention and LM head; 'auto' follows the size rules).
export { type AttentionMode, FUSED_ATTENTION_MIN_T, shouldFuseAttention } from './ops/attention/index.ts';
export {
  CHUNKED_HEAD_MIN_LOGITS_BYTES,
  CHUNKED_HEAD_MIN_VOCAB,
  type LmHeadMode,
  shouldChunkLmHead,
} from './ops/lm-head/index.ts';
export { clipCoefficient } from './optim/clip.ts';
// Weight precision: f16 frozen weights with f32 accumulation (emulated where f16 cannot be stored).
export { checkF16Range, F16RangeError, roundToF16 } from './precision/f16.ts';
export { type ParamStorage, PRECISIONS, type Precision, precisionNote, storesHalf } from './precision/index.ts';
export { Rng } from './random.ts';
export {
  computeReferenceTable,
  type EncodedRow,
  type PolicyAtStart,
  type ReferenceOptions,
  type ReferenceStrategy,
  type ReferenceTable,
  referenceFeeds,
  roundUpTo16,
  scoreAll,
} from './reference.ts';
export {
  describeNonFinite,
  findNonFinite,
  type NonFinite,
  readSafetensors,
  type Tensor,
  writeSafetensors,
} from './safetensors.ts';
export type { SamplingOptions } from './sampling.ts';
export { type RowLogps, SequenceScorer } from './scorer.ts';
export * from './session.ts';
