/**
 * The run pipeline's driver: one experiment spec, from the model to the win-rates, stage by stage.
 *
 *   plan → load → [sft] → sample → judge and pair → reference → train (each run) → evaluate → done
 *
 * Fair comparison: every run starts from the same initial weights (same LoRA init), draws its
 * batches from the same seeded order over the labelled pool (train.ts), and is scored against the
 * same reference (reference.ts). DPO-family runs use conditional log-probs, JPO joint ones.
 *
 * Pausing: `env.gate` is awaited between units of work (optimizer steps, generation batches).
 * Cancelling: when `env.signal` aborts, the pipeline stops at the next unit boundary, saves a
 * checkpoint of the run in progress (when a store is given) and resolves with status 'cancelled'.
 * Resuming: run the same spec again with the same store; finished stages and runs are loaded, the
 * run in progress continues from its checkpoint (its logged metrics re-emitted, marked restored),
 * and the results equal an uninterrupted run.
 * A run that diverges stops with a message naming the step and the fix (run-failed); the other
 * runs still train and are evaluated.
 *
 * Determinism: every random choice comes from the spec's seed (plan.ts, seeds.ts), so the same
 * spec on the same backend logs the same numbers (all but tokens_per_s, a wall-clock rate).
 */
import { applesOracle } from '../../data/judges/oracle.ts';
import type { Judge } from '../../data/judges/types.ts';
import { Generator } from '../../engine/index.ts';
import { Checkpoints } from '../checkpoint.ts';
import type { EvalItem } from '../evaluate.ts';
import type { PipelineListener, Stage } from '../events.ts';
import { type ExperimentPlan, planExperiment, type RunPlan } from '../plan.ts';
import { type ExperimentSpec, formatSpecErrors, validateSpec } from '../spec.ts';
import type { ExperimentResult, PipelineEnv, RunResult } from './context.ts';
import { evaluateStage } from './evaluate.ts';
import { CancelledError, throwIfAborted } from './generation.ts';
import { judgeAndPairStage, sharedPools } from './judge-and-pair.ts';
import { type Loaded, loadStage } from './load.ts';
import { pairingKey, pairPerRun, perRunPools, taskAnnotator } from './pair-per-run.ts';
import { finishData, type PreparedData } from './prepare-data.ts';
import { referenceStage } from './reference.ts';
import { sampleStage } from './sample.ts';
import { samplesOf } from './samples.ts';
import { sftStage } from './sft.ts';
import { policySnapshotContext, trainingPairs } from './snapshots.ts';
import { applesEvalItems } from './task-data.ts';
import { testItemsStage } from './test-items.ts';
import { runShape, type TrainRunOutcome, trainRun } from './train.ts';

/** Runs an experiment; resolves with status 'cancelled' (never rejects) when env.signal aborts. */
export async function runExperiment(
  input: ExperimentSpec,
  env: PipelineEnv,
  emit: PipelineListener = () => {},
): Promise<ExperimentResult> {
  const checked = validateSpec(input);
  if (!checked.ok) throw new Error(`the experiment spec is invalid:\n${formatSpecErrors(checked.errors)}`);
  const spec = checked.spec;
  const plan = planExperiment(spec);
  const now = env.now ?? (() => performance.now());
  const ownsBackend = typeof env.backend === 'function';
  const backend = typeof env.backend === 'function' ? await env.backend(spec.backend) : env.backend;
  const checkpoints = env.checkpoints
    ? new Checkpoints(env.checkpoints, {
        backend: backend.name,
        adoptFrom: env.adoptCheckpointsFrom,
        warn: (message) => emit({ kind: 'log', level: 'warn', message }),
      })
    : null;
  const result: ExperimentResult = {
    status: 'completed',
    stoppedAt: null,
    spec,
    plan,
    backend: backend.name,
    data: null,
    initial: { samples: [], answers: [] },
    runs: [],
    failed: [],
    timings: {},
  };
  const clock = new StageClock(now, result.timings, emit);
  const pauseGate = () => env.gate?.() ?? Promise.resolve();
  const gate = async () => {
    await pauseGate();
    throwIfAborted(env.signal);
  };
  const signal = env.signal;
  let loaded: Loaded | null = null;
  let generator: Generator | null = null;

  try {
    clock.enter('load');
    loaded = await loadStage(plan, backend, env.resolvers, emit, signal);
    const { policy, tokenizer } = loaded;

    if (plan.sft) {
      clock.enter('sft');
      const fingerprint = plan.fingerprints.shared;
      const o = { sft: plan.sft, data: plan.data, fingerprint, policy, backend, tokenizer, resolvers: env.resolvers };
      await sftStage({ ...o, emit, gate, signal, now, checkpoints });
    }
    generator = new Generator(policy.model, policy.store, { build: policy.build });
    const test = plan.eval.test;
    const items =
      test && test.source !== 'task' ? await testItemsStage(test, env.resolvers, emit, signal) : evalItemsOf(plan, env);
    const sampleItems = items.slice(0, env.samples ?? 4);
    const scoreByTask = plan.data.source.source === 'task';
    const samples = (g: Generator) => samplesOf(g, tokenizer, sampleItems, plan.eval.decoding, scoreByTask);

    // The initial model (the reference): its samples.
    policy.reset();
    result.initial.samples = await samples(generator);
    if (result.initial.samples.length > 0) {
      emit({ kind: 'samples', run: 'initial', step: 0, samples: result.initial.samples });
    }

    clock.enter('sample');
    const perRun = plan.data.pairing.protocol === 'per-run';
    const pairingJudge = () => makeJudge(plan.data.pairing.judge, env, plan, 'pairing');
    const fromCheckpoint = checkpoints ? await checkpoints.data(plan.fingerprints.shared) : null;
    let data: PreparedData;
    if (fromCheckpoint) {
      data = fromCheckpoint;
      const n = data.rows.length;
      emit({ kind: 'stage', stage: 'pair' });
      emit({
        kind: 'progress',
        stage: 'pair',
        done: n,
        total: n,
        message: data.perRun ? 'judged candidates (from the checkpoint)' : `${n} labelled pairs (from the checkpoint)`,
      });
    } else {
      const sampled = await sampleStage({
        data: plan.data,
        tokenizer,
        generator,
        resolvers: env.resolvers,
        emit,
        signal,
      });
      emit({ kind: 'stage', stage: 'judge' });
      if (perRun && sampled.candidates.length > 0) {
        // Budget-matched arms: each run is judged below; keep the candidates to judge runs added later.
        data = { ...finishData(sampled.given, null), candidates: sampled.candidates, perRun: {} };
      } else {
        if (perRun) {
          const message =
            'the "per-run" protocol judges sampled candidates, but this data brings its comparisons: every run uses them (as "shared")';
          emit({ kind: 'log', level: 'warn', message });
        }
        data = await judgeAndPairStage({ data: plan.data, ...sampled, judge: pairingJudge, emit, signal });
        await checkpoints?.saveData(plan.fingerprints.shared, data);
      }
    }
    if (data.perRun && data.candidates) {
      const missing = plan.runs.some((r) => !data.perRun?.[pairingKey(r)]);
      const done = data.perRun;
      const o = { data: plan.data, candidates: data.candidates, runs: plan.runs, judge: pairingJudge, emit, signal };
      data = { ...data, perRun: await pairPerRun({ ...o, done }) };
      if (missing) await checkpoints?.saveData(plan.fingerprints.shared, data);
    }
    result.data = data;

    clock.enter('reference');
    const pools = data.perRun ? perRunPools(data.perRun, plan.runs) : sharedPools(data, plan.runs);
    const runData = await referenceStage({
      runs: plan.runs,
      encoding: plan.data.encoding,
      policy,
      tokenizer,
      backend,
      pools,
      emit,
      signal,
    });

    clock.enter('train');
    const snapshots = env.snapshots;
    snapshots?.begin({ ...policySnapshotContext(loaded, plan), pairs: trainingPairs(pools, plan.runs) });
    for (const run of plan.runs) {
      const rd = runData.get(run.label) as NonNullable<ReturnType<typeof runData.get>>;
      const outcome = await trainRun({
        policy,
        backend,
        padId: tokenizer.padId,
        training: plan.training,
        run,
        data: rd,
        emit,
        gate: pauseGate,
        signal,
        now,
        checkpoints,
        checkpointEvery: env.checkpointEvery ?? 0,
        snapshot: snapshots && {
          steps: snapshots.steps(runShape(plan.training, rd.chosen.length).totalSteps, !policy.lora),
          take: (step, trainable) => snapshots.take(run.label, step, trainable),
        },
      });
      const runResult = resultOf(run, outcome, rd.chosen.length, loaded, plan);
      runResult.pairing = data.perRun?.[pairingKey(run)]?.counts ?? null;
      const pool = pools.get(run.label);
      const nJoint = pool ? pool.poolIndex.filter((p) => pool.rows[p].i_chosen !== pool.rows[p].i_reject).length : 0;
      runResult.pairKinds = { conditional: rd.chosen.length - nJoint, joint: nJoint };
      result.runs.push(runResult);
      if (outcome.status === 'cancelled') throw new CancelledError();
      if (outcome.status === 'failed') {
        result.failed.push({ run: run.label, message: outcome.error ?? 'failed' });
        continue;
      }
      policy.loadTrainable(outcome.trained);
      runResult.samples = await samples(generator);
      if (runResult.samples.length > 0) {
        emit({ kind: 'samples', run: run.label, step: outcome.steps, samples: runResult.samples });
      }
    }

    clock.enter('evaluate');
    const evalItems = items.slice(0, plan.eval.nTest);
    const trained = result.runs.filter((r) => r.status === 'completed');
    if (evalItems.length === 0 || trained.length === 0) {
      const why =
        trained.length === 0
          ? 'no run finished training'
          : plan.eval.nTest === 0
            ? 'eval.nTest is 0'
            : 'this data has no held-out test items';
      emit({ kind: 'log', level: 'info', message: `evaluation skipped: ${why}` });
    } else {
      const initial = await evaluateStage({
        plan: plan.eval,
        items: evalItems,
        runs: trained,
        judge: () =>
          plan.eval.judge === 'human' && env.judges?.humanEval
            ? Promise.resolve(env.judges.humanEval)
            : makeJudge(plan.eval.judge, env, plan, 'eval'),
        policy,
        generator,
        tokenizer,
        emit,
        gate,
        signal,
      });
      result.initial.answers = initial.answers;
      if (initial.meanScore !== undefined) result.initial.meanScore = initial.meanScore;
    }
    clock.enter('done');
    emit({ kind: 'progress', stage: 'done', done: 1, total: 1, message: 'experiment finished' });
  } catch (err) {
    if (!(err instanceof CancelledError) && !signal?.aborted) throw err;
    result.status = 'cancelled';
    result.stoppedAt = clock.stage;
    emit({ kind: 'log', level: 'info', message: `cancelled during ${clock.stage}` });
  } finally {
    clock.stop();
    generator?.dispose();
    loaded?.policy.dispose();
    if (ownsBackend) backend.dispose();
  }
  return result;
}

/** Where the pipeline is, for stage events and per-stage wall time. */
class StageClock {
  stage: Stage = 'load';
  private start: number;
  constructor(
    private readonly now: () => number,
    private readonly timings: Partial<Record<Stage, number>>,
    private readonly emit: PipelineListener,
  ) {
    this.start = now();
  }

  enter(next: Stage): void {
    this.stop();
    this.stage = next;
    this.emit({ kind: 'stage', stage: next });
  }

  stop(): void {
    const t = this.now();
    this.timings[this.stage] = (this.timings[this.stage] ?? 0) + (t - this.start) / 1000;
    this.start = t;
  }
}

function resultOf(
  run: RunPlan,
  outcome: TrainRunOutcome,
  pairCount: number,
  loaded: Loaded,
  plan: ExperimentPlan,
): RunResult {
  // Passes over the run's own pairs: pairs visited (steps × pairs per step) / pairs.
  const { P } = runShape(plan.training, pairCount);
  const epochs = (outcome.steps * P * plan.training.gradAccumulation) / pairCount;
  return {
    pairing: null,
    pairKinds: { conditional: 0, joint: 0 },
    epochs,
    label: run.label,
    objective: run.objective,
    pairs: run.pairs,
    status: outcome.status,
    error: outcome.error ?? null,
    pairCount,
    steps: outcome.steps,
    totalSteps: outcome.totalSteps,
    metrics: outcome.metrics,
    trained: outcome.trained,
    files: outcome.status === 'failed' ? {} : loaded.policy.files(outcome.trained, loaded.modelName),
    samples: [],
    eval: null,
    evalItems: [],
  };
}

function evalItemsOf(plan: ExperimentPlan, env: PipelineEnv): EvalItem[] {
  if (plan.data.source.source === 'task')
    return applesEvalItems(Math.max(plan.eval.nTest, env.samples ?? 4), plan.eval.split);
  return env.evalItems ?? [];
}

async function makeJudge(
  kind: ExperimentPlan['eval']['judge'],
  env: PipelineEnv,
  plan: ExperimentPlan,
  purpose: 'pairing' | 'eval',
): Promise<Judge> {
  if (kind === 'oracle') return applesOracle();
  if (kind === 'annotator') {
    return taskAnnotator(plan.data, purpose);
  }
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
