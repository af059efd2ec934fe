/**
 * The run pipeline: one experiment spec, from the model to the win-rates.
 *
 *   load → [sft] → sample → judge → pair → reference → train (each run) → evaluate → done
 *
 *   const result = await runExperiment(spec, {
 *     backend: (choice) => createBackend('cpu'),     // or a Backend
 *     resolvers: await nodeResolvers(),             // or createResolvers({...}) in the browser
 *     checkpoints: new MemoryCheckpointStore(), checkpointEvery: 10,
 *     signal: abort.signal, gate: pause.gate,
 *   }, (event) => ...);
 *
 * Fair comparison: every run starts from the same initial weights (same LoRA init), draws its
 * batches from the same seeded order over the labelled pool (train-run.ts), and is scored against
 * the same reference (the initial model, scored once before training: "precomputed"; a frozen copy
 * or the policy with its adapters off give the same numbers here, since the policy starts as the
 * reference and SFT is folded into the base). DPO-family runs use conditional log-probs, JPO joint
 * ones (objectives/index.ts), on the pairs that `runs[].pairs` selects.
 *
 * Pausing: `env.gate` is awaited between units of work (optimizer steps, generation batches).
 * Cancelling: when `env.signal` aborts, the pipeline stops at the next unit boundary, saves a
 * checkpoint of the run in progress (when a store is given) and resolves with status 'cancelled'.
 * Resuming: run the same spec again with the same store; finished stages and runs are loaded,
 * the run in progress continues from its checkpoint, and the results equal an uninterrupted run.
 *
 * Determinism: every random choice comes from the spec's seed (pipeline/seeds.ts), so the same
 * spec on the same backend logs the same numbers (all but tokens_per_s, a wall-clock rate).
 */
import { applesOracle } from '../data/judges/oracle.ts';
import type { Judge } from '../data/judges/types.ts';
import { bucketLength, encodePair } from '../data/sequence.ts';
import type { Tokenizer } from '../data/tokenizer.ts';
import type { Backend } from '../engine/backend.ts';
import { Generator } from '../engine/generate.ts';
import { objectiveSpec } from '../engine/objectives/index.ts';
import { computeReferenceTable, type ReferenceStrategy, type ReferenceTable } from '../engine/reference.ts';
import {
  type CheckpointStore,
  decodeCheckpoint,
  decodeJsonCheckpoint,
  encodeCheckpoint,
  encodeJsonCheckpoint,
  specFingerprint,
} from './checkpoint.ts';
import {
  type BlindOptions,
  type ComparedItem,
  type EvalItem,
  evalReport,
  evaluateModel,
  goldAnswers,
} from './evaluate.ts';
import type { EvalReport, MetricsEvent, PipelineEvent, PipelineListener, SamplesEvent, Stage } from './events.ts';
import { buildTrainingData } from './pipeline/data-stage.ts';
import { CancelledError, evalDecoding, generateAnswers, throwIfAborted } from './pipeline/generation.ts';
import { Policy } from './pipeline/policy.ts';
import type { PreparedData } from './pipeline/prepare-data.ts';
import { deriveSeed, SEED_PURPOSE } from './pipeline/seeds.ts';
import { runSft } from './pipeline/sft.ts';
import { applesEvalItems, applesGoldRows, applesScore, applesTrainInstructions } from './pipeline/task-data.ts';
import { type RunData, trainRun } from './pipeline/train-run.ts';
import type { Resolvers } from './resolve.ts';
import {
  type BackendChoice,
  type ExperimentSpec,
  formatSpecErrors,
  type PairSet,
  type RunSpec,
  validateSpec,
} from './spec.ts';

export { type CheckpointStore, MemoryCheckpointStore } from './checkpoint.ts';
export { PauseController } from './pipeline/gate.ts';

export interface PipelineEnv {
  /** A backend (the caller keeps it) or a factory (the pipeline disposes what it made). */
  backend: Backend | ((choice: BackendChoice) => Promise<Backend>);
  resolvers: Resolvers;
  checkpoints?: CheckpointStore;
  /** Save the run in progress every this many optimizer steps (default 0: only on cancel and at the end). */
  checkpointEvery?: number;
  signal?: AbortSignal;
  /** Awaited between units of work; hold it to pause (see PauseController). */
  gate?: () => Promise<void>;
  /** Judges the spec may name besides the task oracle. */
  judges?: {
    human?: Judge;
    /** A person for evaluation when it is not the pairing one (default: `human`). */
    humanEval?: Judge;
    rewardModel?: () => Promise<Judge>;
  };
  /** Held-out items for data that is not the classroom task (the task brings its own test split). */
  evalItems?: EvalItem[];
  /** Clock for tokens_per_s and timings (default performance.now). */
  now?: () => number;
  /** Held-out instructions shown in samples events (default 4). */
  samples?: number;
}

export interface RunResult {
  label: string;
  objective: RunSpec['objective'];
  pairs: PairSet;
  /** Training pairs this run used. */
  pairCount: number;
  steps: number;
  totalSteps: number;
  metrics: MetricsEvent[];
  /** Trained params: the adapters under LoRA, else every weight. */
  trained: Map<string, Float32Array>;
  /** What to save: PEFT adapter files (adapter_config.json, adapter_model.safetensors) or a model folder. */
  files: Record<string, Uint8Array | string>;
  samples: SamplesEvent['samples'];
  eval: EvalReport | null;
  /** Every judged test item (answers, verdicts, scores). */
  evalItems: ComparedItem[];
}

export interface ExperimentResult {
  status: 'completed' | 'cancelled';
  /** The stage where a cancelled experiment stopped. */
  stoppedAt: Stage | null;
  spec: ExperimentSpec;
  backend: Backend['name'];
  specHash: string;
  data: PreparedData | null;
  initial: { samples: SamplesEvent['samples']; answers: string[]; meanScore?: number };
  runs: RunResult[];
  /** Wall seconds per stage (not deterministic). */
  timings: Partial<Record<Stage, number>>;
}

/** Runs an experiment; resolves with status 'cancelled' (never rejects) when env.signal aborts. */
export async function runExperiment(
  input: ExperimentSpec,
  env: PipelineEnv,
  listener: PipelineListener = () => {},
): Promise<ExperimentResult> {
  const checked = validateSpec(input);
  if (!checked.ok) throw new Error(`the experiment spec is invalid:\n${formatSpecErrors(checked.errors)}`);
  const spec = checked.spec;
  const now = env.now ?? (() => performance.now());
  const ownsBackend = typeof env.backend === 'function';
  const backend = typeof env.backend === 'function' ? await env.backend(spec.backend) : env.backend;
  const specHash = specFingerprint(spec, backend.name);
  const result: ExperimentResult = {
    status: 'completed',
    stoppedAt: null,
    spec,
    backend: backend.name,
    specHash,
    data: null,
    initial: { samples: [], answers: [] },
    runs: [],
    timings: {},
  };
  let stage: Stage = 'load';
  let stageStart = now();
  const enter = (next: Stage) => {
    result.timings[stage] = (result.timings[stage] ?? 0) + (now() - stageStart) / 1000;
    stage = next;
    stageStart = now();
  };
  const emit = (e: PipelineEvent) => listener(e);
  const gate = async () => {
    await env.gate?.();
    throwIfAborted(env.signal);
  };
  const store = env.checkpoints;
  let policy: Policy | null = null;
  let generator: Generator | null = null;

  try {
    // ---- load
    emit({ kind: 'progress', stage: 'load', done: 0, total: 1, message: `loading ${describeModel(spec)}` });
    const resolved = await env.resolvers.model(spec.model, {
      signal: env.signal,
      onProgress: (message, done, total) => emit({ kind: 'progress', stage: 'load', done, total, message }),
    });
    const { tokenizer } = resolved;
    policy = new Policy(resolved.model, spec.lora, deriveSeed(spec.seed, SEED_PURPOSE.loraInit), backend);
    for (const note of policy.notes) emit({ kind: 'log', level: 'info', message: note });
    emit({
      kind: 'progress',
      stage: 'load',
      done: 1,
      total: 1,
      message: `${resolved.name} on ${backend.name}: ${policy.trainable.length} trainable tensors${policy.lora ? ` (LoRA r=${policy.lora.r})` : ''}`,
    });

    // ---- sft
    if (spec.sft) {
      enter('sft');
      const done = await sftStage(spec, policy, tokenizer, backend, env, emit, gate, specHash);
      if (!done) throw new CancelledError();
    }
    generator = new Generator(policy.model, policy.store, { build: policy.build });
    const items = evalItemsOf(spec, env);
    const sampleItems = items.slice(0, env.samples ?? 4);
    const decode = evalDecoding(spec);

    // Samples and answers of the initial model (the reference).
    policy.reset();
    const initialSamples = await samplesOf(generator, tokenizer, sampleItems, spec);
    result.initial.samples = initialSamples;
    if (initialSamples.length > 0) emit({ kind: 'samples', run: 'initial', step: 0, samples: initialSamples });

    // ---- sample, judge, pair
    enter('sample');
    const cachedData = store ? await loadJson<PreparedData>(store, 'data', specHash) : null;
    const data =
      cachedData ??
      (await buildTrainingData({
        spec,
        tokenizer,
        generator,
        resolvers: env.resolvers,
        judge: () => makeJudge(spec.data.pairing.judge, env),
        emit,
        signal: env.signal,
      }));
    if (cachedData) {
      emit({
        kind: 'progress',
        stage: 'pair',
        done: data.rows.length,
        total: data.rows.length,
        message: `${data.rows.length} labelled pairs (from the checkpoint)`,
      });
    } else if (store) {
      await store.save('data', encodeJsonCheckpoint(specHash, data));
    }
    result.data = data;

    // ---- reference
    enter('reference');
    const runData = await referenceStage(spec, policy, tokenizer, backend, data, emit, env.signal);

    // ---- train
    enter('train');
    const orderSeed = deriveSeed(spec.seed, SEED_PURPOSE.dataOrder);
    for (const run of spec.runs) {
      const rd = runData.get(run.label) as RunData;
      const outcome = await trainRun({
        policy,
        backend,
        padId: tokenizer.padId,
        spec,
        run,
        data: rd,
        orderSeed,
        emit,
        gate: () => env.gate?.() ?? Promise.resolve(),
        signal: env.signal,
        checkpoint: store ? { store, key: `run:${run.label}`, specHash, every: env.checkpointEvery ?? 0 } : undefined,
        now,
      });
      const runResult: RunResult = {
        label: run.label,
        objective: run.objective,
        pairs: run.pairs,
        pairCount: rd.chosen.length,
        steps: outcome.steps,
        totalSteps: outcome.totalSteps,
        metrics: outcome.metrics,
        trained: outcome.trained,
        files: policy.files(outcome.trained, resolved.name),
        samples: [],
        eval: null,
        evalItems: [],
      };
      result.runs.push(runResult);
      if (outcome.status === 'cancelled') throw new CancelledError();
      policy.loadTrainable(outcome.trained);
      runResult.samples = await samplesOf(generator, tokenizer, sampleItems, spec);
      if (runResult.samples.length > 0) {
        emit({ kind: 'samples', run: run.label, step: outcome.steps, samples: runResult.samples });
      }
    }

    // ---- evaluate
    enter('evaluate');
    const evalItems = items.slice(0, spec.eval.nTest);
    if (evalItems.length === 0) {
      const why = spec.eval.nTest === 0 ? 'eval.nTest is 0' : 'this data has no held-out test items';
      emit({ kind: 'log', level: 'info', message: `evaluation skipped: ${why}` });
    } else {
      const judge =
        spec.eval.judge === 'human' && env.judges?.humanEval
          ? env.judges.humanEval
          : await makeJudge(spec.eval.judge, env);
      const instructions = evalItems.map((x) => x.instruction);
      policy.reset();
      const initialAnswers = await generateAnswers(generator, tokenizer, instructions, {
        ...decode,
        signal: env.signal,
      });
      result.initial.answers = initialAnswers;
      if (judge.score) {
        let s = 0;
        for (let i = 0; i < instructions.length; i++)
          s += (await judge.score({ instruction: instructions[i], response: initialAnswers[i] })).score;
        result.initial.meanScore = s / instructions.length;
      }
      const baselineAnswers = spec.eval.compareAgainst === 'gold' ? goldAnswers(evalItems) : initialAnswers;
      for (const [k, run] of result.runs.entries()) {
        await gate();
        emit({
          kind: 'progress',
          stage: 'evaluate',
          run: run.label,
          done: k,
          total: result.runs.length,
          message: `evaluating ${run.label} on ${evalItems.length} held-out instructions`,
        });
        policy.loadTrainable(run.trained);
        const judged = await evaluateModel(generator, tokenizer, {
          ...decode,
          judge,
          items: evalItems,
          baselineAnswers,
          signal: env.signal,
          ...(spec.eval.judge === 'human' ? { blind: blindOrder(spec.seed, run.label) } : {}),
        });
        run.eval = evalReport(run.label, spec.eval.compareAgainst, judged);
        run.evalItems = judged.items;
        emit({ kind: 'eval', report: run.eval });
      }
      emit({
        kind: 'progress',
        stage: 'evaluate',
        done: result.runs.length,
        total: result.runs.length,
        message: 'evaluation done',
      });
    }
    enter('done');
    emit({ kind: 'progress', stage: 'done', done: 1, total: 1, message: 'experiment finished' });
  } catch (err) {
    if (!(err instanceof CancelledError) && !env.signal?.aborted) throw err;
    result.status = 'cancelled';
    result.stoppedAt = stage;
    emit({ kind: 'log', level: 'info', message: `cancelled during ${stage}` });
  } finally {
    result.timings[stage] = (result.timings[stage] ?? 0) + (now() - stageStart) / 1000;
    generator?.dispose();
    policy?.dispose();
    if (ownsBackend) backend.dispose();
  }
  return result;
}

function describeModel(spec: ExperimentSpec): string {
  const m = spec.model;
  return m.source === 'bundled' ? m.id : m.source === 'local' ? m.path : `${m.repo}@${m.revision}`;
}

function evalItemsOf(spec: ExperimentSpec, env: PipelineEnv): EvalItem[] {
  if (spec.data.source === 'task') return applesEvalItems(Math.max(spec.eval.nTest, env.samples ?? 4));
  return env.evalItems ?? [];
}

async function samplesOf(
  generator: Generator,
  tokenizer: Tokenizer,
  items: readonly EvalItem[],
  spec: ExperimentSpec,
): Promise<SamplesEvent['samples']> {
  if (items.length === 0) return [];
  const answers = await generateAnswers(
    generator,
    tokenizer,
    items.map((x) => x.instruction),
    evalDecoding(spec),
  );
  return items.map((x, i) => {
    const s = { instruction: x.instruction, response: answers[i] };
    return spec.data.source === 'task' ? { ...s, ...applesScore(x.instruction, answers[i]) } : s;
  });
}

/** A person judges blind: a seeded coin per (run, item) picks the side shown first (evaluate.ts). */
export function blindOrder(seed: number, run: string): BlindOptions {
  return {
    baselineFirst: (i) => (deriveSeed(seed, `${SEED_PURPOSE.evalBlindOrder}-${run}-${i}`) & 1) === 1,
    tieIdentical: true,
  };
}

async function makeJudge(kind: ExperimentSpec['eval']['judge'], env: PipelineEnv): Promise<Judge> {
  if (kind === 'oracle') return applesOracle();
  if (kind === 'human') {
    if (!env.judges?.human)
      throw new Error('the spec asks for a human judge, but none is connected (env.judges.human)');
    return env.judges.human;
  }
  if (!env.judges?.rewardModel) {
    throw new Error('the spec asks for a reward-model judge, but none is configured (env.judges.rewardModel)');
  }
  return env.judges.rewardModel();
}

async function sftStage(
  spec: ExperimentSpec,
  policy: Policy,
  tokenizer: Tokenizer,
  backend: Backend,
  env: PipelineEnv,
  emit: PipelineListener,
  gate: () => Promise<void>,
  specHash: string,
): Promise<boolean> {
  const sft = spec.sft as NonNullable<ExperimentSpec['sft']>;
  const rebaseSeed = deriveSeed(spec.seed, `${SEED_PURPOSE.loraInit}-after-sft`);
  const store = env.checkpoints;
  const saved = store ? await store.load('sft') : null;
  if (saved) {
    const ck = decodeCheckpoint(saved, 'checkpoint sft');
    if (ck.specHash === specHash && ck.done) {
      policy.loadTrainable(ck.params);
      await policy.rebase(rebaseSeed);
      emit({
        kind: 'progress',
        stage: 'sft',
        done: sft.steps,
        total: sft.steps,
        message: 'SFT loaded from the checkpoint',
      });
      return true;
    }
  }
  const examples = await sftExamples(spec, env);
  policy.reset();
  const done = await runSft({
    policy,
    backend,
    tokenizer,
    spec,
    sft,
    examples,
    seed: deriveSeed(spec.seed, SEED_PURPOSE.sftOrder),
    emit,
    gate,
    signal: env.signal,
  });
  if (!done) return false;
  const params = await policy.readTrainable();
  if (store) {
    const bytes = encodeCheckpoint({
      specHash,
      run: 'sft',
      step: sft.steps,
      cursor: { epoch: 0, offset: 0 },
      done: true,
      params,
      m: null,
      v: null,
      metrics: [],
    });
    await store.save('sft', bytes);
  }
  await policy.rebase(rebaseSeed);
  return true;
}

/** SFT examples: gold answers of the training instructions (task), else the chosen sides and candidates. */
async function sftExamples(
  spec: ExperimentSpec,
  env: PipelineEnv,
): Promise<{ instruction: string; response: string }[]> {
  const d = spec.data;
  if (d.source === 'task') {
    const instructions = applesTrainInstructions(d.nInstructions, deriveSeed(spec.seed, SEED_PURPOSE.instructions));
    return applesGoldRows(instructions, deriveSeed(spec.seed, SEED_PURPOSE.sftOrder));
  }
  const data = await env.resolvers.data(d, { signal: env.signal });
  return [
    ...data.pairs.map((p) => ({ instruction: p.i_chosen, response: p.r_chosen })),
    ...data.candidates.map((c) => ({ instruction: c.instruction, response: c.response })),
  ];
}

/** Which pool entries a run trains on. */
function selectPairs(data: PreparedData, pairs: PairSet): number[] {
  const out: number[] = [];
  data.kinds.forEach((k, i) => {
    if (pairs === 'both' || k === pairs) out.push(i);
  });
  return out;
}

function referenceStrategy(spec: ExperimentSpec, policy: Policy, run: RunSpec): ReferenceStrategy {
  if (!objectiveSpec(run.objective).usesReference) return { kind: 'none' };
  return spec.reference === 'adapters-off' && policy.lora ? { kind: 'lora-off' } : { kind: 'initial' };
}

/** Encodes each run's pairs with its mask mode and scores the reference once per (mode, pair set). */
async function referenceStage(
  spec: ExperimentSpec,
  policy: Policy,
  tokenizer: Tokenizer,
  backend: Backend,
  data: PreparedData,
  emit: PipelineListener,
  signal: AbortSignal | undefined,
): Promise<Map<string, RunData>> {
  const d = spec.data;
  const out = new Map<string, RunData>();
  const tables = new Map<string, ReferenceTable | null>();
  const encoded = new Map<string, { chosen: RunData['chosen']; rejected: RunData['rejected'] }>();
  for (const [k, run] of spec.runs.entries()) {
    throwIfAborted(signal);
    const mode = objectiveSpec(run.objective).mode;
    const poolIndex = selectPairs(data, run.pairs);
    if (poolIndex.length === 0) {
      throw new Error(
        `run "${run.label}" trains on ${run.pairs} pairs, but the labelled data has none; change runs[${k}].pairs or data.pairing.mode`,
      );
    }
    const key = `${mode}|${run.pairs}`;
    let rows = encoded.get(key);
    if (!rows) {
      const enc = (i: string, r: string) =>
        encodePair(tokenizer, i, r, {
          mode,
          template: d.template,
          maxLength: d.maxLength,
          maxPromptLength: d.maxPromptLength,
        });
      rows = {
        chosen: poolIndex.map((p) => enc(data.rows[p].i_chosen, data.rows[p].r_chosen)),
        rejected: poolIndex.map((p) => enc(data.rows[p].i_reject, data.rows[p].r_reject)),
      };
      encoded.set(key, rows);
    }
    const strategy = referenceStrategy(spec, policy, run);
    const tableKey = `${key}|${strategy.kind}`;
    if (!tables.has(tableKey)) {
      emit({
        kind: 'progress',
        stage: 'reference',
        run: run.label,
        done: k,
        total: spec.runs.length,
        message: `reference log-probs of ${poolIndex.length} pairs (${mode})`,
      });
      tables.set(
        tableKey,
        await computeReferenceTable(
          strategy,
          { model: policy.model, weights: policy.fullWeights(), lora: policy.lora ?? undefined },
          rows,
          {
            backend,
            padId: tokenizer.padId,
            batchSize: 16,
            bucket: (len) => bucketLength(len),
          },
        ),
      );
    }
    out.set(run.label, { ...rows, poolIndex, poolSize: data.rows.length, reference: tables.get(tableKey) ?? null });
  }
  emit({
    kind: 'progress',
    stage: 'reference',
    done: spec.runs.length,
    total: spec.runs.length,
    message: 'reference log-probs ready',
  });
  return out;
}

async function loadJson<T>(store: CheckpointStore, key: string, specHash: string): Promise<T | null> {
  const bytes = await store.load(key);
  return bytes ? decodeJsonCheckpoint<T>(bytes, specHash) : null;
}
