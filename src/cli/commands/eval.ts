/**
 * `npm run orchard -- eval --spec FILE --model DIR [--test FILE] [--backend cpu|webgpu] [--n N] [--reward-model DIR]`
 *
 * The paper's evaluation of a trained model: answers to the held-out instructions (spec.eval's
 * decoding), each compared by spec.eval's judge with the spec's model's answer (or the gold answer,
 * per eval.compareAgainst) in both orders, tie = 0.5. Prints one JSON object:
 *   {"model": DIR, "baseline": ..., "baselineModel": NAME | null, "trainedFrom": {label: NAME | null},
 *    "nTest": N, "baselineMeanScore": ..., "reports": [EvalReport, ...],
 *    "itemsByRun": {label: [{instruction, answer, baseline, outcome, score, baselineScore}, ...]}}
 * (itemsByRun as the runs[].items of `orchard train`'s eval.json).
 * DIR may be a PEFT adapter folder (applied to the spec's model), a full model folder, or the --out
 * folder of `orchard train` (every run folder in it is evaluated).
 * The held-out items are the task's, or those of a test file (--test FILE, or the spec's eval.test):
 * the paper's {instruction, gold_response} test files or {instruction, response} SFT files.
 * The baseline is stated (stderr, and "baselineModel"): the spec's model as loaded (a spec with SFT
 * is not re-fine-tuned here). A folder recording another base is refused or warned about (../eval-base.ts).
 * The spec's precision is applied as the training run's evaluate stage applied it: under
 * "f16-weights" the weights that were frozen in training are rounded to f16 (../eval-precision.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applesOracle } from '../../data/judges/oracle.ts';
import { loadRewardModelJudge } from '../../data/judges/reward-model.ts';
import type { Judge } from '../../data/judges/types.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import type { Backend } from '../../engine/backend.ts';
import { dirFiles } from '../../engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../../engine/models/index.ts';
import { type EvalItem, evalReport, evaluateModel, goldAnswers } from '../../lab/evaluate.ts';
import type { EvalReport } from '../../lab/events.ts';
import { generateAnswers } from '../../lab/pipeline/generation.ts';
import { applesEvalItems } from '../../lab/pipeline/task-data.ts';
import { loadTestItems, type TestFileSource } from '../../lab/pipeline/test-items.ts';
import { generatorFor } from '../../lab/pipeline/trained-model.ts';
import { evalDecoding } from '../../lab/plan.ts';
import { nodeResolvers, type Resolvers } from '../../lab/resolve.ts';
import { type KernelChoice, kernelChoice } from '../../lab/spec/kernels.ts';
import { type ExperimentSpec, formatSpecErrors, validateSpec } from '../../lab/spec.ts';
import { baselineLine, checkBases, modelName } from '../eval-base.ts';
import { type EvalPrecision, evalPrecision, precisionLine } from '../eval-precision.ts';
import { type JudgedItemRow, judgedItemRows } from '../judged-items.ts';
import { openBackend } from '../preference-io.ts';
import { BUNDLED_MODELS_DIR, readSpecFile } from '../spec-files.ts';

const USAGE = `usage: npm run orchard -- eval --spec FILE --model DIR [options]
  Win-rate of a trained model against a baseline, judged in both orders. The baseline is the spec's
  model (its answers before training; a spec's SFT stage is not re-run), or the gold answers under
  eval.compareAgainst "gold"; stderr and the output's "baselineModel" name it.
  The base a folder records (adapter_config.json, or the spec.json of an "orchard train" folder)
  must be the spec's model for an adapter (else refused: pass the spec that trained it); a full
  model fine-tuned from another model is compared with the spec's model, with a warning.
  --spec FILE            the experiment spec (its model, data template and eval settings)
  --model DIR            adapter folder, model folder, or the --out folder of "orchard train"
  --backend B            cpu | webgpu (default cpu)
  --n N                  held-out instructions (default: the spec's eval.nTest)
  --test FILE            held-out items from a test file: {instruction, gold_response} rows (the paper's
                         test files) or {instruction, response} rows; sets the spec's eval.test
  --reward-model DIR     ONNX reward model folder for the "reward-model" judge
  Precision follows the spec, as in the training run's own evaluation: under "precision":
  "f16-weights" the weights frozen in training (the spec's model under LoRA adapters, and as the
  baseline of a LoRA spec) are rounded to f16; adapters and fully fine-tuned models stay f32.
  To evaluate in f32, use a copy of the spec with "precision": "f32".`;

interface Candidate {
  label: string;
  dir: string;
  kind: 'adapter' | 'model';
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' },
      model: { type: 'string' },
      backend: { type: 'string', default: 'cpu' },
      n: { type: 'string' },
      test: { type: 'string' },
      'reward-model': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.spec || !values.model) {
    console.error(`eval: --spec and --model are required\n\n${USAGE}`);
    return 2;
  }
  let spec = await readSpecFile('eval', values.spec);
  if (!spec) return 2;
  if (values.test !== undefined) {
    const withTest = validateSpec({ ...spec, eval: { ...spec.eval, test: { source: 'file', path: values.test } } });
    if (!withTest.ok) {
      console.error(`eval: --test ${values.test} does not fit the spec:\n${formatSpecErrors(withTest.errors)}`);
      return 2;
    }
    spec = withTest.spec;
  }
  const testSpec =
    spec.eval.test ?? (spec.data.source === 'paper' ? { source: 'paper', dataset: spec.data.dataset } : null);
  const test = testSpec && testSpec.source !== 'task' ? testSpec : null;
  const n = values.n === undefined ? spec.eval.nTest : Number(values.n);
  if (!(Number.isInteger(n) && n > 0)) {
    console.error(`eval: --n must be a whole number > 0 (got "${values.n ?? spec.eval.nTest}")`);
    return 2;
  }
  if (spec.data.source !== 'task' && !test) {
    console.error(
      'eval: this spec trains on data without held-out items of its own; name a test file with --test FILE (or eval.test in the spec)',
    );
    return 2;
  }
  const candidates = findCandidates(values.model);
  const bases = checkBases(candidates, spec.model);
  if (bases.errors.length > 0) {
    for (const e of bases.errors) console.error(e);
    return 2;
  }
  for (const w of bases.warnings) console.error(w);
  console.error(baselineLine(spec.model, spec.eval.compareAgainst, spec.sft !== null));
  const judge = await judgeFor(spec, values['reward-model']);
  const resolvers = await nodeResolvers({ modelsDir: BUNDLED_MODELS_DIR });
  const base = await resolvers.model(spec.model);
  const backend = await openBackend(values.backend);
  const precision = evalPrecision(spec);
  const precisionSays = precisionLine(spec, backend);
  if (precisionSays) console.error(precisionSays);
  try {
    const items = test ? await testItems(test, resolvers, n) : applesEvalItems(n, spec.eval.split);
    const decode = evalDecoding(spec);
    const instructions = items.map((x) => x.instruction);
    const kernels = kernelChoice(spec);
    const ref = generatorFor(base.model, backend, undefined, kernels, precision.baseline);
    const refAnswers = await generateAnswers(ref.generator, base.tokenizer, instructions, decode);
    ref.dispose();
    const baselineAnswers = spec.eval.compareAgainst === 'gold' ? goldAnswers(items) : refAnswers;
    const reports: EvalReport[] = [];
    const itemsByRun: Record<string, JudgedItemRow[]> = {};
    let baselineMeanScore: number | undefined;
    for (const c of candidates) {
      const { generator, dispose, tokenizer } = await open(c, base.model, base.tokenizer, backend, kernels, precision);
      try {
        const judged = await evaluateModel(generator, tokenizer, {
          ...decode,
          judge,
          items: items as EvalItem[],
          baselineAnswers,
        });
        reports.push(evalReport(c.label, spec.eval.compareAgainst, judged));
        itemsByRun[c.label] = judgedItemRows(judged.items);
        baselineMeanScore = judged.baselineMeanScore;
      } finally {
        dispose();
      }
    }
    const out = {
      model: values.model,
      baseline: spec.eval.compareAgainst,
      baselineModel: spec.eval.compareAgainst === 'gold' ? null : modelName(spec.model),
      trainedFrom: bases.trainedFrom,
      nTest: items.length,
      baselineMeanScore,
      reports,
      itemsByRun,
    };
    console.log(JSON.stringify(out));
  } finally {
    backend.dispose();
  }
  return 0;
}

/** The first n items of a test file; skipped rows are named on stderr. */
async function testItems(test: TestFileSource, resolvers: Resolvers, n: number): Promise<EvalItem[]> {
  const loaded = await loadTestItems(test, resolvers);
  for (const p of loaded.problems) {
    console.error(`eval: ${p.file ?? loaded.source}: line ${p.line} skipped: ${p.reason}`);
  }
  return loaded.items.slice(0, n);
}

/** What DIR holds: an adapter, a model, or run folders of `orchard train --out`. */
function findCandidates(dir: string): Candidate[] {
  const kindOf = (d: string): Candidate['kind'] | null =>
    existsSync(join(d, 'adapter_config.json')) ? 'adapter' : existsSync(join(d, 'config.json')) ? 'model' : null;
  const own = kindOf(dir);
  if (own) return [{ label: basename(resolve(dir)), dir, kind: own }];
  const eval_ = join(dir, 'eval.json');
  const sub = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'checkpoints')
    .map((e) => ({ name: e.name, kind: kindOf(join(dir, e.name)) }))
    .filter((e): e is { name: string; kind: Candidate['kind'] } => e.kind !== null);
  if (sub.length === 0) {
    throw new Error(
      `${dir} holds no adapter_config.json or config.json (nor run folders with them${existsSync(eval_) ? '; was training cancelled?' : ''})`,
    );
  }
  const labels = labelsFromEvalJson(eval_);
  return sub.map((e) => ({ label: labels.get(e.name) ?? e.name, dir: join(dir, e.name), kind: e.kind }));
}

/** Run labels by folder from a train output's eval.json, when there is one. */
function labelsFromEvalJson(file: string): Map<string, string> {
  const out = new Map<string, string>();
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { runs?: { label: string; folder: string }[] };
    for (const r of parsed.runs ?? []) out.set(r.folder, r.label);
  } catch {
    // no labels: folder names are used
  }
  return out;
}

async function open(
  c: Candidate,
  base: LoadedModel,
  tokenizer: Tokenizer,
  backend: Backend,
  kernels: KernelChoice,
  precision: EvalPrecision,
): Promise<{ generator: ReturnType<typeof generatorFor>['generator']; dispose: () => void; tokenizer: Tokenizer }> {
  if (c.kind === 'adapter') {
    const adapter = {
      config: await readFile(join(c.dir, 'adapter_config.json'), 'utf8'),
      safetensors: new Uint8Array(await readFile(join(c.dir, 'adapter_model.safetensors'))),
    };
    const g = generatorFor(base, backend, adapter, kernels, precision.adapterBase);
    return { ...g, tokenizer };
  }
  const model = await loadModel(dirFiles(c.dir));
  if (model.config.vocabSize !== base.config.vocabSize) {
    throw new Error(
      `${c.dir}: vocab_size ${model.config.vocabSize} differs from the spec's model (${base.config.vocabSize})`,
    );
  }
  const g = generatorFor(model, backend, undefined, kernels, precision.fullModel);
  return { ...g, tokenizer };
}

async function judgeFor(spec: ExperimentSpec, rewardModelDir: string | undefined): Promise<Judge> {
  if (spec.eval.judge === 'oracle') return applesOracle();
  if (spec.eval.judge === 'reward-model') {
    if (!rewardModelDir) throw new Error('eval: the spec judges with a reward model; pass --reward-model DIR');
    return loadRewardModelJudge({ source: { dir: rewardModelDir } });
  }
  throw new Error('eval: a human judge cannot answer in the CLI; set eval.judge to "oracle" or "reward-model"');
}
