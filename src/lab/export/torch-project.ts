/**
 * "Export as PyTorch project": everything a cluster needs to train an experiment exactly as Orchard
 * would, without Orchard. The files (paths relative to the project folder):
 *
 *   train.py      the trainer (./torch-train.py: PyTorch >= 1.13 and the standard library)
 *   spec.json     the resolved spec (every default filled in)
 *   plan.json     what Orchard derives from the spec and the model: per run the objective, mask
 *                 mode, log-prob kind, pairs per micro-batch, optimizer steps and output folder;
 *                 the optimizer, schedule, accumulation, pad id and the LoRA set-up (PEFT target
 *                 modules, init seed, adapter_config.json)
 *   pairs.jsonl   one line per pair fed, in feed order: {run, step, micro, pair, the four texts,
 *                 chosen: {ids, mask}, rejected: {ids, mask}} — tokenized with the run's mask mode,
 *                 template and truncation, so Python never re-tokenizes
 *   model/        config.json + model.safetensors (F32) of the spec's model, plus tokenizer files
 *   README.md     the commands and what each file is
 *
 * The pairs come from Orchard's own stages (sample, judge both orders, drop ties, edits) and the
 * feed order from train-run.ts's epoch order (feed-order.ts). SFT is not exported.
 */
import { applesOracle } from '../../data/judges/oracle.ts';
import type { Judge } from '../../data/judges/types.ts';
import { type EncodedPair, encodePair } from '../../data/sequence.ts';
import { type Backend, Generator, loraScaling, modelFiles, objectiveSpec, saveAdapter } from '../../engine/index.ts';
import type { PipelineListener } from '../events.ts';
import { judgeAndPairStage } from '../pipeline/judge-and-pair.ts';
import { perRunData, taskAnnotator } from '../pipeline/pair-per-run.ts';
import { Policy } from '../pipeline/policy.ts';
import type { PreparedData } from '../pipeline/prepare-data.ts';
import { sampleStage } from '../pipeline/sample.ts';
import { runPoolOf, runShape, selectPairs, trainingBatches } from '../pipeline/train.ts';
import { type DataPlan, planExperiment } from '../plan.ts';
import type { Resolvers } from '../resolve.ts';
import { runFolderNames } from '../run-folders.ts';
import { type ExperimentSpec, formatSpecErrors, type RunSpec, validateSpec } from '../spec.ts';
import { exportReadme } from './readme.ts';

export interface TorchExportEnv {
  /** Runs the data stage's sampling (task data). */
  backend: Backend;
  resolvers: Resolvers;
  /** train.py's text: Node reads ./torch-train.py from disk, the lab bundles it. */
  trainScript: string;
  /** Extra files for model/ (the tokenizer files of a bundled or local model). */
  modelExtras?: Record<string, Uint8Array>;
  rewardModel?: () => Promise<Judge>;
  emit?: PipelineListener;
  signal?: AbortSignal;
}

export interface ExportedRun {
  label: string;
  folder: string;
  run: RunSpec;
  /** The run's pairs by pool position ("pair" in pairs.jsonl), encoded with its objective's mask mode. */
  encoded: Map<number, { chosen: EncodedPair; rejected: EncodedPair }>;
  /** Micro-batches in feed order, as pool positions. */
  microBatches: number[][];
  totalSteps: number;
  P: number;
  /** The labelled list "pair" indexes: the run's own pairing ("per-run") or the shared pool. */
  rows: PreparedData['rows'];
}

export interface TorchProject {
  files: Record<string, string | Uint8Array>;
  runs: ExportedRun[];
  data: PreparedData;
}

export async function exportTorchProject(input: ExperimentSpec, env: TorchExportEnv): Promise<TorchProject> {
  const checked = validateSpec(input);
  if (!checked.ok) throw new Error(`the experiment spec is invalid:\n${formatSpecErrors(checked.errors)}`);
  const spec = checked.spec;
  if (spec.sft) {
    throw new Error(
      'export torch: specs with an SFT stage are not exported yet; set "sft": null (or fine-tune first and export the resulting model as a local model)',
    );
  }
  const plan = planExperiment(spec);
  const emit = env.emit ?? (() => {});
  const resolved = await env.resolvers.model(spec.model, { signal: env.signal });
  const policy = new Policy(resolved.model, spec.lora, plan.loraInitSeed, env.backend);
  const generator = new Generator(policy.model, policy.store, { build: policy.build });
  let data: PreparedData;
  let adapterConfig: string | null = null;
  try {
    policy.reset();
    const common = { data: plan.data, emit, signal: env.signal };
    const sampled = await sampleStage({
      ...common,
      tokenizer: resolved.tokenizer,
      generator,
      resolvers: env.resolvers,
    });
    const judge = () => pairingJudge(spec, env, plan.data);
    // The pipeline's protocol: budget-matched arms judge each run's own pairs (../pipeline/pair-per-run.ts).
    data =
      plan.data.pairing.protocol === 'per-run' && sampled.candidates.length > 0
        ? await perRunData({ ...common, candidates: sampled.candidates, given: sampled.given, runs: plan.runs, judge })
        : await judgeAndPairStage({ ...common, ...sampled, judge });
    if (policy.lora) {
      const initial = await policy.readTrainable();
      adapterConfig = saveAdapter(policy.lora, policy.targets, initial, resolved.name)['adapter_config.json'];
    }
  } finally {
    generator.dispose();
    policy.dispose();
  }

  const folders = runFolderNames(plan.runs.map((r) => r.label));
  const runs: ExportedRun[] = plan.runs.map((run, k) => {
    const pool = runPoolOf(data, run);
    const poolIndex = selectPairs(pool, run.pairs);
    const { P, totalSteps } = runShape(plan.training, poolIndex.length);
    const encode = (i: string, r: string, other: string) =>
      encodePair(resolved.tokenizer, i, r, { mode: run.mode, ...plan.data.encoding, pairedResponse: other });
    const encoded = new Map(
      poolIndex.map((p) => {
        const row = pool.rows[p];
        return [
          p,
          {
            chosen: encode(row.i_chosen, row.r_chosen, row.r_reject),
            rejected: encode(row.i_reject, row.r_reject, row.r_chosen),
          },
        ];
      }),
    );
    const microBatches = trainingBatches(data, run, plan.training).map((b) => b.poolIndex);
    return {
      label: run.label,
      folder: folders[k],
      run: spec.runs[k],
      encoded,
      microBatches,
      totalSteps,
      P,
      rows: pool.rows,
    };
  });

  const lines: string[] = [];
  for (const r of runs) {
    r.microBatches.forEach((batch, m) => {
      for (const pair of batch) {
        const e = r.encoded.get(pair) as { chosen: EncodedPair; rejected: EncodedPair };
        lines.push(
          JSON.stringify({
            run: r.label,
            step: Math.floor(m / spec.gradAccumulation) + 1,
            micro: m % spec.gradAccumulation,
            pair,
            ...r.rows[pair],
            chosen: { ids: e.chosen.ids, mask: e.chosen.mask },
            rejected: { ids: e.rejected.ids, mask: e.rejected.mask },
          }),
        );
      }
    });
  }

  const trainPlan = {
    format: 'orchard-torch-export/1',
    pad_id: resolved.tokenizer.padId,
    base_model: resolved.name,
    optimizer: { lr: plan.training.lr, ...plan.training.optimizer },
    schedule: plan.training.schedule,
    grad_accumulation: plan.training.gradAccumulation,
    lora: policy.lora
      ? {
          r: policy.lora.r,
          alpha: policy.lora.alpha,
          scaling: loraScaling(policy.lora),
          init_seed: plan.loraInitSeed,
          target_modules: policy.lora.targetModules,
          adapter_config: adapterConfig,
        }
      : null,
    runs: runs.map((r, k) => {
      const o = objectiveSpec(r.run.objective);
      const loss = plan.runs[k].loss;
      for (const [name, v] of Object.entries({
        beta: loss?.beta,
        labelSmoothing: loss?.labelSmoothing,
        simpoGamma: loss?.simpoGamma,
      })) {
        // train.py reads these three; a renamed plan field must fail here, not as a KeyError in Python.
        if (typeof v !== 'number')
          throw new Error(`export torch: run "${r.label}" has no numeric loss parameter ${name} in its plan`);
      }
      return {
        label: r.label,
        folder: r.folder,
        objective: r.run.objective,
        mode: o.mode,
        logps: o.logps,
        uses_reference: o.usesReference,
        uses_nll: o.usesNll,
        params: { beta: loss.beta, label_smoothing: loss.labelSmoothing, simpo_gamma: loss.simpoGamma },
        pairs: r.encoded.size,
        pairs_per_micro_batch: r.P,
        total_steps: r.totalSteps,
      };
    }),
  };
  const model = modelFiles(resolved.model);
  const files: Record<string, string | Uint8Array> = {
    'README.md': exportReadme(spec, runs),
    'spec.json': `${JSON.stringify(spec, null, 2)}\n`,
    'plan.json': `${JSON.stringify(trainPlan, null, 2)}\n`,
    'pairs.jsonl': lines.map((l) => `${l}\n`).join(''),
    'train.py': env.trainScript,
    'model/config.json': model['config.json'],
    'model/model.safetensors': model['model.safetensors'],
  };
  for (const [name, bytes] of Object.entries(env.modelExtras ?? {})) files[`model/${name}`] = bytes;
  return { files, runs, data };
}

async function pairingJudge(spec: ExperimentSpec, env: TorchExportEnv, data: DataPlan): Promise<Judge> {
  const kind = spec.data.pairing.judge;
  if (kind === 'oracle') return applesOracle();
  if (kind === 'annotator') return taskAnnotator(data, 'pairing');
  if (kind === 'reward-model' && env.rewardModel) return env.rewardModel();
  if (kind === 'reward-model')
    throw new Error('export torch: the spec pairs with a reward model; pass --reward-model DIR');
  throw new Error(
    'export torch: a person cannot judge during an export; label the pairs in the lab and export them as data (data.edits or a file)',
  );
}
