/**
 * Records the golden runs (test/fixtures/golden/v1-runs.json): version-1 share links and specs,
 * each run through the pipeline on the CPU backend, keeping every run's first 20 losses and its
 * eval report. test/unit/golden-v1.test.ts replays the stored links and specs and requires the same
 * numbers, so a refactor or a new spec version cannot change what an old link reproduces.
 *
 * The fixture was written once, before the spec schema and the staged pipeline were redesigned;
 * rerun this only to add a case (`npx tsx scripts/record-golden.ts`), never to make a test pass.
 * Since spec version 2 this script builds v2 specs (the stored cases are v1; two of them named the
 * removed `reference` modes "frozen-copy" and "adapters-off", which gave the same numbers).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { runExperiment } from '../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../src/lab/resolve.ts';
import { encodeShareLink } from '../src/lab/share-link.ts';
import { type ExperimentSpec, type PartialSpec, validateSpec, withDefaults } from '../src/lab/spec.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'test', 'fixtures', 'golden', 'v1-runs.json');

/** Small enough to run in a few seconds each on the CPU backend; 20 steps for the 20 losses. */
const SMALL: PartialSpec = {
  data: { nInstructions: 12, candidatesPerInstruction: 3, pairing: { budget: 40 } },
  steps: 20,
  batchSize: 4,
  schedule: { warmupSteps: 2 },
  eval: { nTest: 6, maxNewTokens: 12 },
  backend: 'cpu',
};

function spec(partial: PartialSpec): ExperimentSpec {
  const r = validateSpec(withDefaults({ ...SMALL, ...partial }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.spec;
}

const CASES: { name: string; as: 'link' | 'spec'; spec: ExperimentSpec }[] = [
  { name: 'default DPO vs JPO', as: 'link', spec: spec({ name: 'golden: default' }) },
  {
    name: 'per-objective fields set to 0 / paper values (cdpo, robust, ipo, hinge)',
    as: 'spec',
    spec: spec({
      name: 'golden: objectives',
      seed: 7,
      data: { ...SMALL.data, pairing: { mode: 'conditional', budget: 40 } },
      runs: [
        { label: 'cDPO', objective: 'cdpo', pairs: 'conditional' },
        { label: 'Robust', objective: 'robust', pairs: 'conditional', labelSmoothing: 0.2 },
        { label: 'IPO', objective: 'ipo', pairs: 'conditional' },
        { label: 'Hinge', objective: 'hinge', pairs: 'conditional' },
      ],
    }),
  },
  {
    name: 'SFT first, full fine-tuning, simpo / orpo / sft, frozen-copy reference',
    as: 'link',
    spec: spec({
      name: 'golden: sft + full ft',
      seed: 11,
      sft: { steps: 6, lr: 1e-3, batchSize: 4 },
      lora: { enabled: false },
      optimizer: { weightDecay: 0.05 },
      schedule: { kind: 'linear', warmupSteps: 3 },
      runs: [
        { label: 'SimPO', objective: 'simpo', pairs: 'conditional' },
        { label: 'ORPO', objective: 'orpo', pairs: 'conditional' },
        { label: 'SFT', objective: 'sft', pairs: 'both' },
      ],
    }),
  },
  {
    name: 'joint pairs only, LoRA on every projection, gold baseline, sampled eval, adapters-off',
    as: 'spec',
    spec: spec({
      name: 'golden: joint',
      seed: 5,
      data: { ...SMALL.data, pairing: { mode: 'joint', budget: 40 } },
      lora: { r: 4, alpha: 8, targetModules: ['q', 'k', 'v', 'o', 'up', 'down'] },
      gradAccumulation: 2,
      batchSize: 2,
      eval: { nTest: 6, maxNewTokens: 12, temperature: 0.7, topK: 20, topP: 0.9, compareAgainst: 'gold' },
      runs: [{ label: 'JPO', objective: 'jpo', pairs: 'joint', beta: 0.3 }],
    }),
  },
];

const resolvers = await nodeResolvers({ root: ROOT });
const cases = [];
for (const c of CASES) {
  const result = await runExperiment(c.spec, { backend: new CpuBackend(), resolvers });
  const stored = c.as === 'link' ? { link: (await encodeShareLink(c.spec)).fragment } : { spec: c.spec };
  cases.push({
    name: c.name,
    ...stored,
    runs: result.runs.map((r) => ({
      label: r.label,
      losses: r.metrics.slice(0, 20).map((m) => m.loss),
      eval: r.eval,
    })),
  });
  console.log(
    c.name,
    result.runs.map((r) => `${r.label} ${r.metrics.length} steps, eval ${r.eval?.winRate.rate}`),
  );
}
writeFileSync(
  OUT,
  `${JSON.stringify({ recordedWith: 'the pipeline before the spec schema redesign', cases }, null, 1)}\n`,
);
console.log(`wrote ${OUT}`);
