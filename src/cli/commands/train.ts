/**
 * `npm run orchard -- train --spec FILE [--backend cpu|webgpu] [--out DIR] [--checkpoint-every N]
 *   [--resume] [--reward-model DIR]`
 *
 * Runs an experiment spec (src/lab/spec.ts; a partial file is completed with the defaults) through
 * the run pipeline. stdout: one JSON line per optimizer step of every run
 *   {"run", "step", "objective", "loss", "rewards/chosen", ..., "grad_norm", "learning_rate", "tokens_per_s"}
 * stderr: progress of the other stages, samples and the evaluation summary.
 * With --out DIR, writes:
 *   DIR/spec.json                   the complete spec that ran
 *   DIR/<run>/adapter_config.json   PEFT adapter (LoRA), or config.json + model.safetensors
 *   DIR/<run>/adapter_model.safetensors   (full fine-tuning), plus the tokenizer files
 *   DIR/metrics.jsonl, metrics.csv  the step lines above
 *   DIR/eval.json                   win-rate reports, mean oracle scores, every judged answer, and
 *                                   items[].outcomes[label]: each run's outcome (1, 0.5, 0) per held-out item
 *   DIR/report.json                 per run: judge calls, pairs, ties, inconsistent verdicts, epochs,
 *                                   steps; comparisons[]: every two runs' paired difference, 95%
 *                                   interval and sign-flip p-value (src/lab/report.ts)
 *   DIR/pairs.jsonl                 the labelled training pairs {i_chosen, r_chosen, i_reject, r_reject}
 *   DIR/checkpoints/                resumable checkpoints (kept only with --resume; reset otherwise)
 * Every file is written to a temporary name and renamed, so a kill never leaves half a file.
 * A run that diverges stops with a message naming the step and the fix; the other runs still train
 * and are evaluated, everything is written (the failed run: its metrics up to the failure), and the
 * exit code is 1. Each run's checkpoint depends on that run only, so `--resume` after removing or
 * fixing the failed run reuses the others. A checkpoint that cannot be read is reported with its
 * path and the fix (exit code 1).
 * Ctrl-C stops cleanly after the current step (a checkpoint is saved with --out); exit code 130.
 * --backend auto (the spec's default) means WebGPU (Dawn) on a hardware adapter and the CPU backend on
 * a software one or none, the lab's rule (engine/backends/auto-choice.ts).
 * --seeds N runs the spec with seeds seed, seed+1, ..., seed+N-1 (each seed's files in
 * DIR/seed-<s>/), and writes one DIR/report.json with the comparison pooled over seeds and one
 * DIR/eval.json with every seed's items.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRewardModelJudge } from '../../data/judges/reward-model.ts';
import { CorruptCheckpointError } from '../../lab/checkpoint.ts';
import type { EvalReport, MetricsEvent, PipelineEvent } from '../../lab/events.ts';
import { DirCheckpointStore, writeFileAtomic } from '../../lab/pipeline/checkpoint-dir.ts';
import { type ExperimentResult, type PipelineEnv, runExperiment } from '../../lab/pipeline/index.ts';
import { pairingKey } from '../../lab/pipeline/train.ts';
import { experimentReport, outcomeItems } from '../../lab/report.ts';
import { nodeResolvers } from '../../lab/resolve.ts';
import { runFolderNames } from '../../lab/run-folders.ts';
import type { ExperimentSpec } from '../../lab/spec.ts';
import { describeComparison } from '../../lab/stats/paired.ts';
import { judgedItemRows } from '../judged-items.ts';
import { openBackend, resolveAutoBackend } from '../preference-io.ts';
import { BUNDLED_MODELS_DIR, readSpecFile, tokenizerFiles } from '../spec-files.ts';

const USAGE = `usage: npm run orchard -- train --spec FILE [options]
  Runs an experiment spec: data, DPO/JPO runs, evaluation. One JSON line per step on stdout.
  --spec FILE             experiment spec (JSON; missing fields take the defaults)
  --backend B             auto | cpu | webgpu (default: the spec's backend; auto: WebGPU on a
                          hardware adapter, the CPU on a software one or none)
  --out DIR               write adapters/models, metrics, eval report and checkpoints here
  --checkpoint-every N    with --out: save a checkpoint every N optimizer steps (default 10)
  --resume                with --out: continue from DIR/checkpoints instead of starting over
  --reward-model DIR      ONNX reward model folder for the "reward-model" judge
  --seeds N               run N seeds (seed, seed+1, ...) and report the comparison pooled over them`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      resume: { type: 'boolean' },
      'reward-model': { type: 'string' },
      seeds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.spec) {
    console.error(`train: --spec is required\n\n${USAGE}`);
    return 2;
  }
  const spec = await readSpecFile('train', values.spec);
  if (!spec) return 2;
  let backendName = values.backend ?? spec.backend;
  if (backendName === 'auto') {
    const decision = await resolveAutoBackend();
    backendName = decision.backend;
    if (decision.reason) console.error(`train: backend auto: ${decision.reason}`);
  }
  if (backendName !== 'cpu' && backendName !== 'webgpu') {
    console.error(`train: --backend must be auto, cpu or webgpu (got "${backendName}")`);
    return 2;
  }
  const every = Number(values['checkpoint-every'] ?? 10);
  if (!(Number.isInteger(every) && every >= 0)) {
    console.error(`train: --checkpoint-every must be a whole number >= 0 (got "${values['checkpoint-every']}")`);
    return 2;
  }
  const nSeeds = Number(values.seeds ?? 1);
  if (!(Number.isInteger(nSeeds) && nSeeds >= 1 && nSeeds <= 1000)) {
    console.error(`train: --seeds must be a whole number from 1 to 1000 (got "${values.seeds}")\n\n${USAGE}`);
    return 2;
  }
  if (values.resume && !values.out) {
    console.error('train: --resume needs --out DIR (the checkpoints live in DIR/checkpoints)');
    return 2;
  }

  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('train: stopping after the current step (Ctrl-C again to quit at once)\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const resolvers = await nodeResolvers({ modelsDir: BUNDLED_MODELS_DIR });
  const results: ExperimentResult[] = [];
  let code = 0;
  for (let k = 0; k < nSeeds; k++) {
    const seedSpec = nSeeds === 1 ? spec : { ...spec, seed: spec.seed + k };
    const outDir = values.out && nSeeds > 1 ? join(values.out, `seed-${seedSpec.seed}`) : values.out;
    if (nSeeds > 1) process.stderr.write(`[seeds] seed ${seedSpec.seed} (${k + 1} of ${nSeeds})\n`);
    const one = await runSeed(seedSpec, outDir, { values, backendName, every, abort, resolvers }).finally(() => {
      if (k === nSeeds - 1) process.off('SIGINT', onSigint);
    });
    if (typeof one === 'number') {
      process.off('SIGINT', onSigint);
      return one;
    }
    results.push(one.result);
    code = Math.max(code, one.code); // a failed run: the others are still reported
  }
  const report = experimentReport(results);
  for (const c of report.comparisons) process.stderr.write(`[compare] ${describeComparison(c)}\n`);
  if (values.out) {
    await mkdir(values.out, { recursive: true });
    await writeFileAtomic(join(values.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (nSeeds > 1) {
      const pooled = { seeds: report.seeds, items: outcomeItems(results) };
      await writeFileAtomic(join(values.out, 'eval.json'), `${JSON.stringify(pooled, null, 2)}\n`);
    }
  }
  return code;
}

interface SeedContext {
  values: { out?: string; resume?: boolean; 'reward-model'?: string };
  backendName: 'cpu' | 'webgpu';
  every: number;
  abort: AbortController;
  resolvers: PipelineEnv['resolvers'];
}

/** One seed: the pipeline, its files under outDir; an exit code when it did not complete cleanly. */
async function runSeed(
  spec: ExperimentSpec,
  outDir: string | undefined,
  { values, backendName, every, abort, resolvers }: SeedContext,
): Promise<number | { result: ExperimentResult; code: number }> {
  const rewardModelDir = values['reward-model'];
  const store = outDir ? new DirCheckpointStore(join(outDir, 'checkpoints')) : undefined;
  if (store && !values.resume) await store.clear();
  const env: PipelineEnv = {
    backend: () => openBackend(backendName),
    resolvers,
    checkpoints: store,
    checkpointEvery: every,
    signal: abort.signal,
    judges: rewardModelDir
      ? { rewardModel: () => loadRewardModelJudge({ source: { dir: rewardModelDir } }) }
      : undefined,
  };
  let result: ExperimentResult;
  try {
    result = await runExperiment(spec, env, printEvent);
  } catch (err) {
    if (!(err instanceof CorruptCheckpointError)) throw err;
    console.error(`train: ${err.message}`);
    return 1;
  }
  if (outDir) await writeOutputs(outDir, result, spec);
  if (result.status === 'cancelled') {
    process.stderr.write(
      `train: cancelled during ${result.stoppedAt}${outDir ? '; rerun with --resume to continue' : ''}\n`,
    );
    return 130;
  }
  if (result.failed.length > 0) {
    for (const f of result.failed) process.stderr.write(`train: run ${f.run} failed: ${f.message}\n`);
    const kept = result.runs.filter((r) => r.status === 'completed').map((r) => r.label);
    if (outDir && kept.length > 0) {
      process.stderr.write(
        `train: the results of ${kept.join(', ')} are in ${outDir}; fix or remove the failed run and rerun with --resume to reuse them\n`,
      );
    }
    return { result, code: 1 };
  }
  return { result, code: 0 };
}

/** One step as the flat JSON object the CLI prints (TRL's metric names as keys). */
export function stepLine(e: MetricsEvent): Record<string, string | number> {
  return {
    run: e.run,
    step: e.step,
    objective: e.objective,
    loss: e.loss,
    ...e.metrics,
    grad_norm: e.grad_norm,
    learning_rate: e.learning_rate,
    tokens_per_s: e.tokens_per_s,
  };
}

function printEvent(e: PipelineEvent): void {
  switch (e.kind) {
    case 'metrics':
      // Steps restored from a checkpoint were printed by the run that logged them.
      if (!e.restored) process.stdout.write(`${JSON.stringify(stepLine(e))}\n`);
      return;
    case 'run-resumed':
      process.stderr.write(
        `[train ${e.run}] ${e.done ? 'trained' : `resumed at step ${e.step}`} (from the checkpoint)\n`,
      );
      return;
    case 'run-failed': // its message comes as a warning log too
    case 'stage':
    case 'run-started':
    case 'run-finished':
      return;
    case 'progress':
      if (e.stage === 'train') return; // the step lines say it
      if (e.done === 0 || e.done === e.total || e.stage === 'evaluate') {
        process.stderr.write(`[${e.stage}${e.run ? ` ${e.run}` : ''}] ${e.message}\n`);
      }
      return;
    case 'samples':
      process.stderr.write(`[samples ${e.run}, step ${e.step}]\n`);
      for (const s of e.samples) {
        const score = s.score === undefined ? '' : ` (score ${s.score.toFixed(2)}${s.reason ? `: ${s.reason}` : ''})`;
        process.stderr.write(`  ${s.instruction} -> ${s.response}${score}\n`);
      }
      return;
    case 'eval':
      process.stderr.write(`[eval] ${formatReport(e.report)}\n`);
      return;
    case 'log':
      process.stderr.write(`[${e.level}] ${e.message}\n`);
  }
}

export function formatReport(r: EvalReport): string {
  const w = r.winRate;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const scores =
    r.meanScore === undefined ? '' : `; mean score ${r.meanScore.toFixed(3)} vs ${r.baselineMeanScore?.toFixed(3)}`;
  return `${r.run}: win-rate vs ${r.baseline} ${pct(w.rate)} [${pct(w.low)}, ${pct(w.high)}] (${w.wins} wins, ${w.ties} ties, ${w.losses} losses of ${w.n})${scores}`;
}

async function writeOutputs(dir: string, result: ExperimentResult, spec: ExperimentSpec): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const folders = runFolderNames(result.runs.map((r) => r.label));
  const tokenizers = await tokenizerFiles(spec);
  for (const [k, run] of result.runs.entries()) {
    if (run.status !== 'completed') continue; // a cancelled run lives in the checkpoints, a failed one in its metrics
    const runDir = join(dir, folders[k]);
    await mkdir(runDir, { recursive: true });
    for (const [name, content] of Object.entries(run.files)) await writeFileAtomic(join(runDir, name), content);
    if (!('adapter_config.json' in run.files)) {
      for (const [name, content] of Object.entries(tokenizers)) await writeFileAtomic(join(runDir, name), content);
    }
  }
  const lines = result.runs.flatMap((r) => r.metrics.map(stepLine));
  await writeFileAtomic(join(dir, 'metrics.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  await writeFileAtomic(join(dir, 'metrics.csv'), toCsv(lines));
  if (result.data) {
    // "per-run" pairing: each run's own pairs, marked with the run.
    const perRun = result.data.perRun;
    const rows = perRun
      ? result.plan.runs.flatMap((run) => (perRun[pairingKey(run)]?.rows ?? []).map((r) => ({ run: run.label, ...r })))
      : result.data.rows;
    await writeFileAtomic(join(dir, 'pairs.jsonl'), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  const report = {
    name: spec.name,
    status: result.status,
    backend: result.backend,
    baseline: spec.eval.compareAgainst,
    initialMeanScore: result.initial.meanScore ?? null,
    runs: result.runs.map((r, k) => ({
      label: r.label,
      folder: folders[k],
      objective: r.objective,
      pairs: r.pairs,
      pairCount: r.pairCount,
      status: r.status,
      error: r.error,
      steps: r.steps,
      report: r.eval,
      samples: r.samples,
      items: judgedItemRows(r.evalItems),
    })),
    timings: result.timings,
    items: outcomeItems([result]),
  };
  await writeFileAtomic(join(dir, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
}

function toCsv(rows: Record<string, string | number>[]): string {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  const cell = (v: string | number | undefined) => {
    if (v === undefined) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].map((l) => `${l}\n`).join('');
}
