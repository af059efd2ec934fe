/**
 * Shared by the export-torch tests: export a spec (in-process, as the CLI does), run its train.py
 * with Debian's PyTorch on one process and under torchrun with two (gloo), train the same spec
 * with Orchard's CPU backend, and compare metrics and the trained models' log-probs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { TRAIN_TEMPLATE } from '../../src/cli/commands/export.ts';
import { stepLine } from '../../src/cli/commands/train.ts';
import { tokenizerFiles } from '../../src/cli/spec-files.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { padRows } from '../../src/engine/logprobs.ts';
import { type LoraConfig, loadAdapter } from '../../src/engine/lora.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../../src/engine/models/index.ts';
import { SequenceScorer } from '../../src/engine/scorer.ts';
import { exportTorchProject, type TorchProject } from '../../src/lab/export/torch-project.ts';
import { type ExperimentResult, runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { type ExperimentSpec, parseSpec } from '../../src/lab/spec.ts';

const exec = promisify(execFile);
/** Debian's python3-torch lives here (a pyenv python3 on PATH may lack torch). */
export const PYTHON = '/usr/bin/python3';
const ROOT = join(import.meta.dirname, '..', '..');
export const BUNDLED = join(ROOT, 'public', 'models');

export function fullSpec(partial: unknown): ExperimentSpec {
  const parsed = parseSpec(partial);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

export async function exportTo(spec: ExperimentSpec, dir: string): Promise<TorchProject> {
  const backend = new CpuBackend();
  try {
    const project = await exportTorchProject(spec, {
      backend,
      resolvers: await nodeResolvers({ modelsDir: BUNDLED }),
      trainScript: readFileSync(TRAIN_TEMPLATE, 'utf8'),
      modelExtras: await tokenizerFiles(spec, BUNDLED),
    });
    for (const [path, content] of Object.entries(project.files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return project;
  } finally {
    backend.dispose();
  }
}

export async function orchardTrain(spec: ExperimentSpec): Promise<ExperimentResult> {
  return runExperiment(spec, {
    backend: new CpuBackend(),
    resolvers: await nodeResolvers({ modelsDir: BUNDLED }),
    samples: 0,
  });
}

/** python3 train.py --out OUT (one process). */
export async function trainPython(project: string, out: string): Promise<void> {
  // One thread, as torchrun gives each process: the same reduction order on any machine.
  const env = { ...process.env, OMP_NUM_THREADS: '1' };
  await exec(PYTHON, [join(project, 'train.py'), '--out', out], { maxBuffer: 1 << 26, env });
}

/**
 * torchrun --nproc_per_node 2 train.py --out OUT, through `python3 -m torch.distributed.run`.
 * `--redirects 2 --tee 2`: Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default
 * "0" for these (an IntFlag change in 3.11); 2 (stderr) parses and changes nothing we read.
 */
export async function trainTorchrun(project: string, out: string): Promise<void> {
  const port = await freePort();
  const args = ['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', String(port)];
  args.push('--redirects', '2', '--tee', '2', '--log_dir', join(out, '..', 'torchrun-logs'));
  await exec(PYTHON, [...args, join(project, 'train.py'), '--out', out], { maxBuffer: 1 << 26 });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export type MetricLine = Record<string, string | number>;

/** Orchard's result for a spec, and the metrics of its exported project on one process and on two. */
export interface TrainedThreeWays {
  result: ExperimentResult;
  one: MetricLine[];
  two: MetricLine[];
}

/**
 * Trains `spec` with Orchard's CPU backend and, at the same time, its exported `project` with
 * train.py on one process (DIR/one) and under torchrun with two (DIR/two).
 */
export async function trainThreeWays(spec: ExperimentSpec, project: string, dir: string): Promise<TrainedThreeWays> {
  const trained = orchardTrain(spec);
  await Promise.all([trainPython(project, join(dir, 'one')), trainTorchrun(project, join(dir, 'two')), trained]);
  return {
    result: await trained,
    one: readMetrics(join(dir, 'one', 'metrics.jsonl')),
    two: readMetrics(join(dir, 'two', 'metrics.jsonl')),
  };
}

/** `got` logs `want`'s steps, each field within 1e-4 (worstRelErr); prints the worst difference, as `what`. */
export function expectSameCurves(got: MetricLine[], want: MetricLine[], project: string, what: string): void {
  expect(got.map((l) => `${l.run}:${l.step}`)).toEqual(want.map((l) => `${l.run}:${l.step}`));
  const worst = worstRelErr(got, want, betas(project));
  console.info(`export torch (${what}): worst difference ${worst.err.toExponential(2)} at ${worst.at}`);
  expect(worst.err, worst.at).toBeLessThan(1e-4);
}

/** Python's and Orchard's log-probs of the same rows agree within 1e-4 (relative); prints the difference, as `what`. */
export function expectSameLogps(python: readonly number[], orchard: readonly number[], what: string): void {
  const err = maxRelErr(python, orchard);
  console.info(`export torch (${what}): final log-probs differ by ${err.toExponential(2)} (relative)`);
  expect(err).toBeLessThan(1e-4);
}

/** Orchard's metrics of every run as `orchard train` writes them to metrics.jsonl. */
export function orchardLines(result: ExperimentResult): MetricLine[] {
  return result.runs.flatMap((r) => r.metrics.map(stepLine));
}

export function readMetrics(file: string): MetricLine[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/**
 * Largest |a − b| / max(|b|, floor) over every numeric field but tokens_per_s. Floors: rewards/*
 * are β·(π − π_ref), differences of two float32 sums of |logps| size, so their error is measured
 * against 1% of β·|logps/chosen| (they start at exactly 0); every other field against 0.01.
 * `beta`: each run's β (plan.json).
 */
export function worstRelErr(
  a: MetricLine[],
  b: MetricLine[],
  beta: Record<string, number>,
): { err: number; at: string } {
  let worst = { err: 0, at: '' };
  for (const [i, x] of a.entries()) {
    const y = b[i];
    const rewardScale = 0.01 * beta[x.run as string] * Math.abs(Number(y['logps/chosen']));
    for (const [k, v] of Object.entries(x)) {
      if (typeof v !== 'number' || k === 'tokens_per_s' || k === 'step') continue;
      const floor = k.startsWith('rewards/') && k !== 'rewards/accuracies' ? Math.max(0.01, rewardScale) : 0.01;
      const err = Math.abs(v - (y[k] as number)) / Math.max(Math.abs(y[k] as number), floor);
      if (err > worst.err) worst = { err, at: `${x.run} step ${x.step} ${k}: ${v} vs ${y[k]}` };
    }
  }
  return worst;
}

/** Each run's β as train.py uses it (plan.json). */
export function betas(project: string): Record<string, number> {
  const plan = JSON.parse(readFileSync(join(project, 'plan.json'), 'utf8'));
  return Object.fromEntries(
    plan.runs.map((r: { label: string; params: { beta: number } }) => [r.label, r.params.beta]),
  );
}

export interface EncodedSide {
  ids: number[];
  mask: number[];
}

/** Every distinct training pair of a run in pairs.jsonl, as its chosen and rejected rows. */
export function runRows(project: string, run: string): EncodedSide[] {
  const seen = new Map<number, EncodedSide[]>();
  for (const line of readFileSync(join(project, 'pairs.jsonl'), 'utf8').trim().split('\n')) {
    const x = JSON.parse(line);
    if (x.run === run && !seen.has(x.pair)) seen.set(x.pair, [x.chosen, x.rejected]);
  }
  return [...seen.values()].flat();
}

/** Summed log-probs of the rows under the given weights (Orchard's engine, CPU backend). */
export async function scoreRows(
  model: LoadedModel,
  weights: ReadonlyMap<string, Float32Array>,
  lora: LoraConfig | undefined,
  rows: readonly EncodedSide[],
  padId: number,
): Promise<number[]> {
  const backend = new CpuBackend();
  const scorer = new SequenceScorer(model, weights, backend, lora);
  try {
    const out: number[] = [];
    for (let i = 0; i < rows.length; i += 8) {
      const chunk = rows.slice(i, i + 8);
      const batch = padRows(chunk, padId, Math.max(...chunk.map((r) => r.ids.length)));
      out.push(...(await scorer.score(batch)).sum);
    }
    return out;
  } finally {
    scorer.dispose();
    backend.dispose();
  }
}

/** What train.py wrote for a run: adapter weights on the base, or a full model folder. */
export async function pythonWeights(
  base: LoadedModel | null,
  folder: string,
): Promise<{ model: LoadedModel; weights: Map<string, Float32Array>; lora?: LoraConfig }> {
  try {
    const adapter = loadAdapter({
      config: readFileSync(join(folder, 'adapter_config.json'), 'utf8'),
      safetensors: new Uint8Array(readFileSync(join(folder, 'adapter_model.safetensors'))),
    });
    if (!base) throw new Error(`${folder} holds an adapter; pass its base model`);
    return { model: base, weights: new Map([...base.weights, ...adapter.weights]), lora: adapter.config };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const model = await loadModel(dirFiles(folder));
    return { model, weights: model.weights };
  }
}

/**
 * Run `label`'s training pairs (pairs.jsonl of `project`) scored with what train.py saved in
 * `pythonDir` and with Orchard's trained `weights` (and `lora`) on the same model: equal within
 * 1e-4. `base`: the base model when train.py saved adapters; null when it saved a full model.
 */
export async function expectSameTrainedLogps(
  project: string,
  label: string,
  pythonDir: string,
  base: LoadedModel | null,
  orchard: { weights: ReadonlyMap<string, Float32Array>; lora?: LoraConfig },
  what: string,
): Promise<void> {
  const py = await pythonWeights(base, pythonDir);
  const rows = runRows(project, label);
  const padId = 948; // end of text in the bundled tokenizer, which every exported model here uses
  const orchardLogps = await scoreRows(py.model, orchard.weights, orchard.lora, rows, padId);
  const pythonLogps = await scoreRows(py.model, py.weights, py.lora, rows, padId);
  expectSameLogps(pythonLogps, orchardLogps, what);
}

export function maxRelErr(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`maxRelErr: ${a.length} vs ${b.length} values`);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.max(Math.abs(b[i]), 1e-6)));
}
