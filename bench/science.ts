/**
 * `npm run bench:science [-- --seeds N] [-- --split test|validation] [-- --n-test N] [-- --first-seed S]`
 *
 * The lab's science question on the default bundled model (orchard-tiny-2) and the classroom task: at equal
 * annotation effort, does JPO (the paper's conditional + joint mix, joint log-probs) beat DPO
 * (conditional comparisons only, conditional log-probs)? It runs the DEFAULT experiment spec — the
 * budget-matched arms: each run the same judge budget over the same sampled candidates, the
 * simulated pairwise annotator, equal epochs — for N seeds (default 10: seeds S..S+N-1) on the CPU
 * backend, evaluated on the whole held-out split (default "test": never used for choices) against
 * the initial model's greedy answers, both orders, tie = 0.5, with the exact checker.
 *
 * Reported (src/lab/report.ts, the same object `orchard train --seeds N` writes as report.json):
 * per run the win-rate vs the initial model pooled over seeds, pairs kept, ties, inconsistent
 * verdicts and tie rates by kind, pairs per 100 judge calls, epochs and steps; and JPO − DPO with a
 * paired bootstrap 95% interval over seeds and items and a sign-flip p-value.
 *
 * Writes bench/results/science.json and .md (science-validation.* for --split validation) and prints
 * the Markdown table (the README's "Science: DPO vs JPO" section quotes it, whatever it shows).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { type ExperimentResult, runExperiment } from '../src/lab/pipeline/index.ts';
import { type ExperimentReport, experimentReport } from '../src/lab/report.ts';
import { nodeResolvers } from '../src/lab/resolve.ts';
import { EVAL_SPLITS, type EvalSplit, withDefaults } from '../src/lab/spec.ts';
import { describeComparison } from '../src/lab/stats/paired.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seeds: { type: 'string', default: '10' },
      'first-seed': { type: 'string', default: '1' },
      split: { type: 'string', default: 'test' },
      'n-test': { type: 'string', default: '10000' },
    },
  });
  const nSeeds = Number(values.seeds);
  const first = Number(values['first-seed']);
  const nTest = Number(values['n-test']);
  const split = values.split as EvalSplit;
  if (!EVAL_SPLITS.includes(split) || split === 'held-out') {
    throw new Error(`--split must be "test" or "validation" (got ${JSON.stringify(values.split)})`);
  }
  const resolvers = await nodeResolvers({ root: ROOT });
  const results: ExperimentResult[] = [];
  const seedSeconds: number[] = [];
  for (let k = 0; k < nSeeds; k++) {
    const seed = first + k;
    const spec = withDefaults({ seed, backend: 'cpu', eval: { nTest, split } });
    const t0 = performance.now();
    const result = await runExperiment(spec, { backend: new CpuBackend(), resolvers, samples: 0 });
    seedSeconds.push((performance.now() - t0) / 1000);
    for (const r of result.runs) if (!r.eval) throw new Error(`seed ${seed}: run ${r.label} has no evaluation`);
    results.push(result);
    const line = result.runs.map((r) => `${r.label} ${pct(r.eval?.winRate.rate ?? Number.NaN)}`).join(', ');
    console.error(`seed ${seed}: ${line} (${seedSeconds.at(-1)?.toFixed(0)} s)`);
  }
  const report = experimentReport(results);
  const nItems = report.comparisons[0]?.nItems ?? 0;
  const md = markdown(report, split, nItems, results[0]);
  const out = {
    date: new Date().toISOString(),
    machine: `${cpus().length} CPU cores, ${cpus()[0]?.model ?? 'unknown'}`,
    split,
    nItems,
    spec: { ...results[0].spec, seed: `${first}..${first + nSeeds - 1}` },
    report,
    seedSeconds,
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const base = split === 'test' ? 'science' : `science-${split}`;
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(join(dir, `${base}.md`), md);
  console.log(md);
}

function markdown(report: ExperimentReport, split: string, nItems: number, one: ExperimentResult): string {
  const s = one.spec;
  const rate = (x: number | null) => (x === null ? '–' : pct(x));
  const num = (x: number | null, d = 1) => (x === null ? '–' : x.toFixed(d));
  const lines = [
    `Budget-matched default (${s.data.pairing.budget} judged pairs = ${2 * (s.data.pairing.budget ?? 0)} judge calls per run, judge "${s.data.pairing.judge}", ${s.epochs ?? '–'} epochs), ` +
      `${report.seeds.length} seeds (${report.seeds[0]}..${report.seeds.at(-1)}), ${split} split: ${nItems} held-out items per seed, vs the initial model (ties 0.5).`,
    '',
    '| run | win-rate vs initial | pairs kept (cond + joint) | ties (cond / joint) | tie rate (cond / joint) | inconsistent | pairs per 100 calls | epochs | steps |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.runs.map(
      (r) =>
        `| ${r.label} | ${rate(r.winRate)} | ${num(r.pairs.conditional)} + ${num(r.pairs.joint)} | ${num(r.ties.conditional)} / ${num(r.ties.joint)} | ${rate(r.tieRate.conditional)} / ${rate(r.tieRate.joint)} | ${num(r.inconsistent)} | ${num(r.pairsPer100Calls)} | ${num(r.epochs, 2)} | ${num(r.steps)} |`,
    ),
    '',
    '(per-seed means; judge calls per run are equal by construction)',
    '',
    ...report.comparisons.map((c) => {
      const seeds = c.perSeed.map((d) => `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)}`).join(', ');
      return `- ${describeComparison(c)} Per seed: ${seeds}.`;
    }),
    '',
  ];
  return lines.join('\n');
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
