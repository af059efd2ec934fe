/**
 * `npm run orchard -- export torch --spec FILE --out DIR [--reward-model DIR]`
 *
 * Writes a self-contained PyTorch project for the spec (src/lab/export/torch-project.ts): train.py,
 * spec.json, plan.json, pairs.jsonl (the exact pairs and feed order Orchard trains on), model/ and
 * README.md. Then `python3 DIR/train.py` or `torchrun --nproc_per_node N DIR/train.py` trains it.
 * The data stage (sampling and judging for task data) runs here on the CPU backend.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRewardModelJudge } from '../../data/judges/reward-model.ts';
import { exportTorchProject } from '../../lab/export/torch-project.ts';
import { nodeResolvers } from '../../lab/resolve.ts';
import { runCommand, TEXT, UsageError } from '../args.ts';
import { openBackend } from '../preference-io.ts';
import { BUNDLED_MODELS_DIR, readSpecFile, tokenizerFiles } from '../spec-files.ts';

const USAGE = `usage: npm run orchard -- export torch --spec FILE --out DIR [options]
  Writes a PyTorch project that trains the spec's runs on exactly Orchard's pairs and batches:
  DIR/train.py (python3 train.py, or torchrun --nproc_per_node N train.py), spec.json, plan.json,
  pairs.jsonl, model/, README.md.
  --spec FILE             experiment spec (JSON; missing fields take the defaults)
  --out DIR               the project folder to write
  --reward-model DIR      ONNX reward model folder, when the spec pairs with the "reward-model" judge`;

export const TRAIN_TEMPLATE = fileURLToPath(new URL('../../lab/export/torch-train.py', import.meta.url));

const COMMAND = {
  name: 'export',
  usage: USAGE,
  flags: { spec: TEXT, out: TEXT, 'reward-model': TEXT },
  required: ['spec', 'out'],
  positionals: ['TARGET'],
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand(COMMAND, argv, async ({ values, positionals }) => {
    if (positionals[0] !== 'torch')
      throw new UsageError(`export: say what to export to ("export torch"); got "${positionals[0]}"`);
    return exportTorch(values.spec, values.out, values['reward-model']);
  });
}

async function exportTorch(specFile: string, outDir: string, rewardModelDir: string | undefined): Promise<number> {
  const spec = await readSpecFile('export', specFile);
  if (!spec) return 2;
  const backend = await openBackend('cpu');
  try {
    const project = await exportTorchProject(spec, {
      backend,
      resolvers: await nodeResolvers({ modelsDir: BUNDLED_MODELS_DIR }),
      trainScript: readFileSync(TRAIN_TEMPLATE, 'utf8'),
      modelExtras: await tokenizerFiles(spec),
      rewardModel: rewardModelDir ? () => loadRewardModelJudge({ source: { dir: rewardModelDir } }) : undefined,
      emit: (e) => {
        if (e.kind === 'progress' && (e.done === 0 || e.done === e.total))
          process.stderr.write(`[${e.stage}] ${e.message}\n`);
        if (e.kind === 'log') process.stderr.write(`[${e.level}] ${e.message}\n`);
      },
    });
    for (const [path, content] of Object.entries(project.files)) {
      const file = join(outDir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
    const pairs = project.runs.map((r) => `${r.label}: ${r.encoded.size} pairs, ${r.totalSteps} steps`).join('; ');
    process.stderr.write(`export: wrote ${outDir} (${pairs}); run: python3 ${join(outDir, 'train.py')}\n`);
  } finally {
    backend.dispose();
  }
  return 0;
}
