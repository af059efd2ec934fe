/**
 * `npm run bench:science [-- --seeds N] [-- --n-test N] [-- --skip-default]`
 *
 * The lab's science question on the bundled model (orchard-tiny) and the classroom task: does JPO
 * (conditional + joint pairs, joint log-probs) beat DPO (conditional pairs, conditional log-probs)?
 * For each of N seeds (default 5) it runs the DEFAULT experiment spec (src/lab/spec-defaults.ts) with
 * that seed on the CPU backend, evaluated on the first `--n-test` held-out instructions (default
 * 275: the whole test split) against the initial model's greedy answers, both orders, tie = 0.5.
 *
 * Reported per objective: the win-rate pooled over seeds (wins, ties and losses summed; Wilson 95%
 * interval on the pooled count, which treats the N x n comparisons as independent and so ignores
 * seed-to-seed variation: the per-seed rates are listed for that), the mean oracle score of the
 * trained model and of the initial model, and the paired JPO - DPO difference per seed.
 * Also times one default comparison exactly as the lab runs it (the unmodified default spec).
 *
 * Writes bench/results/science.json and prints a Markdown table (paste it into the README's
 * "Science: DPO vs JPO" section).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import type { WinRate } from '../src/lab/events.ts';
import { type ExperimentResult, runExperiment } from '../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../src/lab/resolve.ts';
import { DEFAULT_SPEC, withDefaults } from '../src/lab/spec.ts';
import { winRateFromCounts } from '../src/lab/winrate.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface RunRow {
  seed: number;
  label: string;
  objective: string;
  pairs: string;
  pairCount: number;
  winRate: WinRate;
  meanScore: number;
  initialMeanScore: number;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seeds: { type: 'string', default: '5' },
      'n-test': { type: 'string', default: '275' },
      'skip-default': { type: 'boolean' },
    },
  });
  const nSeeds = Number(values.seeds);
  const nTest = Number(values['n-test']);
  const resolvers = await nodeResolvers({ root: ROOT });
  const seeds = Array.from({ length: nSeeds }, (_, i) => i + 1);
  const rows: RunRow[] = [];
  const seedSeconds: number[] = [];
  for (const seed of seeds) {
    const spec = withDefaults({ seed, backend: 'cpu', eval: { nTest } });
    const t0 = performance.now();
    const result = await runExperiment(spec, { backend: new CpuBackend(), resolvers });
    seedSeconds.push((performance.now() - t0) / 1000);
    for (const r of result.runs) {
      if (!r.eval) throw new Error(`seed ${seed}: run ${r.label} has no evaluation`);
      rows.push({
        seed,
        label: r.label,
        objective: r.objective,
        pairs: r.pairs,
        pairCount: r.pairCount,
        winRate: r.eval.winRate,
        meanScore: r.eval.meanScore as number,
        initialMeanScore: result.initial.meanScore as number,
      });
    }
    const line = result.runs.map((r) => `${r.label} ${pct(r.eval?.winRate.rate ?? Number.NaN)}`).join(', ');
    console.error(`seed ${seed}: ${line} (${seedSeconds.at(-1)?.toFixed(0)} s)`);
  }

  let defaultComparison: { seconds: number; timings: ExperimentResult['timings'] } | null = null;
  if (!values['skip-default']) {
    const t0 = performance.now();
    const result = await runExperiment(withDefaults({ backend: 'cpu' }), { backend: new CpuBackend(), resolvers });
    defaultComparison = { seconds: (performance.now() - t0) / 1000, timings: result.timings };
    console.error(`default comparison (seed ${DEFAULT_SPEC.seed}, CPU): ${defaultComparison.seconds.toFixed(1)} s`);
  }

  const labels = [...new Set(rows.map((r) => r.label))];
  const summary = labels.map((label) => {
    const mine = rows.filter((r) => r.label === label);
    const pooled = winRateFromCounts(
      sum(mine.map((r) => r.winRate.wins)),
      sum(mine.map((r) => r.winRate.ties)),
      sum(mine.map((r) => r.winRate.losses)),
    );
    return {
      label,
      objective: mine[0].objective,
      pairs: mine[0].pairs,
      meanPairCount: mean(mine.map((r) => r.pairCount)),
      pooled,
      perSeedRates: mine.map((r) => r.winRate.rate),
      meanScore: mean(mine.map((r) => r.meanScore)),
      initialMeanScore: mean(mine.map((r) => r.initialMeanScore)),
    };
  });
  const rateOf = (label: string, seed: number) =>
    rows.find((r) => r.label === label && r.seed === seed)?.winRate.rate ?? Number.NaN;
  const diffs = seeds.map((s) => rateOf('JPO', s) - rateOf('DPO', s));

  const report = {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, backend: 'cpu' },
    spec: { ...withDefaults({ backend: 'cpu', eval: { nTest } }), seed: 'per run' },
    seeds,
    runs: rows,
    summary,
    jpoMinusDpo: { perSeed: diffs, mean: mean(diffs), jpoBetterSeeds: diffs.filter((d) => d > 0).length },
    secondsPerSeed: seedSeconds,
    defaultComparison,
  };
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'science.json'), `${JSON.stringify(report, null, 2)}\n`);

  const md: string[] = [];
  md.push(
    `DPO vs JPO on orchard-tiny, Apples & Oranges; default spec, ${seeds.length} seeds (${seeds.join(', ')}), ` +
      `${nTest} held-out instructions each, judged by the exact oracle in both orders against the initial model's greedy answers (tie = 0.5).`,
  );
  md.push('');
  md.push(
    '| Run | Training pairs | Win-rate vs initial, pooled [95% Wilson] | Wins / ties / losses | Per-seed win-rates | Mean oracle score (initial) |',
  );
  md.push('|---|---|---|---|---|---|');
  for (const s of summary) {
    md.push(
      `| ${s.label} (${s.objective}, ${s.pairs} pairs) | ${s.meanPairCount.toFixed(0)} | ${pct(s.pooled.rate)} [${pct(s.pooled.low)}, ${pct(s.pooled.high)}] | ` +
        `${s.pooled.wins} / ${s.pooled.ties} / ${s.pooled.losses} | ${s.perSeedRates.map(pct).join(', ')} | ${s.meanScore.toFixed(3)} (${s.initialMeanScore.toFixed(3)}) |`,
    );
  }
  md.push('');
  md.push(
    `JPO − DPO win-rate, per seed: ${diffs.map((d) => `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)}`).join(', ')} points ` +
      `(mean ${(100 * mean(diffs)).toFixed(1)}; JPO ahead in ${diffs.filter((d) => d > 0).length} of ${diffs.length}).`,
  );
  if (defaultComparison) {
    md.push('');
    md.push(
      `One default comparison (both runs, seed ${DEFAULT_SPEC.seed}, ${DEFAULT_SPEC.eval.nTest} test items) takes ${defaultComparison.seconds.toFixed(0)} s on the CPU backend (${report.machine.cpu}, ${report.machine.cores} cores).`,
    );
  }
  console.log(md.join('\n'));
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function mean(xs: number[]): number {
  return xs.length === 0 ? Number.NaN : sum(xs) / xs.length;
}

await main(process.argv.slice(2));
