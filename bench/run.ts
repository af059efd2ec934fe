/**
 * `npm run bench`: Orchard's training step against TensorFlow.js's, side by side.
 *
 * In one headless Chromium page (bench/page): Orchard webgpu, Orchard cpu, TF.js webgpu, TF.js wasm
 * and TF.js cpu; in Node: Orchard webgpu (Dawn) and Orchard cpu. Cases in cases.ts; the GPT-2-small
 * case runs only on a real GPU. Prints the loss checks, one table and the targets; writes
 * bench/results/<date>-<adapter>.json and latest.json, and the README's "## Benchmarks" section.
 *
 *   npm run bench                       everything
 *   npm run bench -- --cases tiny       only these cases (comma-separated ids)
 *   npm run bench -- --no-node          browser only (--no-browser: Node only)
 *   npm run bench -- --no-readme        leave README.md alone
 *   npm run bench -- --no-save          leave bench/results/ alone too (print only)
 *   npm run bench -- --all              also the engines a case leaves out by default (see cases.ts)
 *   npm run bench -- --readme-only      rewrite README.md's section from bench/results/latest.json, run nothing
 *   npm run bench -- --no-generation    skip the batched-generation rows (--no-threads: the 1-vs-N-thread rows)
 *   npm run bench -- --cases qwen2.5-0.5b-lora   also time a Llama-family case (slow on a CPU; see cases.ts)
 *
 * Always printed besides the step table: the Llama-family shapes' analytic memory (llm-memory.ts),
 * batched KV-cache generation tokens/s (generation-bench.ts), the tiny step at 1 and N CPU threads
 * (cpu-thread-rows.ts), TFLOP/s and the fraction of the adapter's fp32 peak (flops.ts, gpu-peaks.ts)
 * and every target of issue 15 (speed-targets.ts), the real-GPU ones skipped without a real GPU.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { explain } from './bench-notes.ts';
import { openBenchBrowser } from './browser.ts';
import {
  type BenchCase,
  CASES,
  type CaseId,
  DEFAULT_CASES,
  ENGINES,
  type EngineId,
  type StepCounts,
  stepsFor,
} from './cases.ts';
import { runOrchardCpuCounted } from './cpu-memory.ts';
import { cpuThreadRows } from './cpu-thread-rows.ts';
import { type GenerationRow, generationTable, nodeGenerationRows } from './generation-bench.ts';
import { llmMemoryRows, llmMemoryTable } from './llm-memory.ts';
import { openNodeHost } from './node.ts';
import {
  type BenchRecord,
  formatChecks,
  formatTargets,
  lossChecks,
  readmeSection,
  replaceReadmeSection,
  resultsTable,
  targetLines,
} from './report.ts';
import { type AdapterInfo, emptyResult, type Host, type HostReport, type RunResult } from './result.ts';
import { f16FitTargets, realGpuTargets, threadTarget } from './speed-targets.ts';
import type { Reference } from './tfjs/run-tfjs.ts';
import { runWebgpuF16Weights } from './webgpu-f16-step.ts';
import { makeWorkload, type Workload } from './workload.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = `${ROOT}bench/results`;
/** TF.js webgpu in Node runs through the same Dawn as Orchard's (tfjs/node-webgpu.ts), on real GPUs. */
const NODE_ENGINES: readonly EngineId[] = ['orchard-cpu', 'orchard-webgpu', 'tfjs-webgpu'];
/** Orchard's CPU backend first: it is the reference every other engine is checked against. */
const BROWSER_ENGINES: readonly EngineId[] = ['orchard-cpu', 'orchard-webgpu', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'];

interface Args {
  cases: CaseId[];
  browser: boolean;
  node: boolean;
  readme: boolean;
  all: boolean;
  /** Only rewrite README.md's section from bench/results/latest.json. */
  readmeOnly: boolean;
  generation: boolean;
  threads: boolean;
  /** Write bench/results/ (off with --no-save, which also implies --no-readme). */
  save: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    cases: [...DEFAULT_CASES],
    browser: true,
    node: true,
    readme: true,
    all: false,
    readmeOnly: false,
    generation: true,
    threads: true,
    save: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-browser') args.browser = false;
    else if (a === '--no-node') args.node = false;
    else if (a === '--no-readme') args.readme = false;
    else if (a === '--all') args.all = true;
    else if (a === '--readme-only') args.readmeOnly = true;
    else if (a === '--no-generation') args.generation = false;
    else if (a === '--no-threads') args.threads = false;
    else if (a === '--no-save') {
      args.save = false;
      args.readme = false;
    } else if (a === '--cases') {
      const ids = (argv[++i] ?? '').split(',').filter(Boolean);
      for (const id of ids) {
        if (!(id in CASES))
          throw new Error(`--cases: unknown case "${id}"; choose from ${Object.keys(CASES).join(', ')}`);
      }
      args.cases = ids as CaseId[];
    } else {
      throw new Error(`unknown argument "${a}"; see the comment at the top of bench/run.ts for the options`);
    }
  }
  return args;
}

const log = (line = '') => console.log(line);
const fmtMs = (ms: number) => (ms < 100 ? ms.toFixed(1) : ms.toFixed(0));

function progress(r: RunResult): void {
  const where = `${r.host.padEnd(7)} ${r.caseId} ${(r.variant ? `${r.engine} (${r.variant})` : r.engine).padEnd(14)}`;
  if (r.skipped || r.error) {
    log(`  ${where} ${r.skipped ? `skipped: ${r.skipped}` : `ERROR: ${r.error}`}`);
    return;
  }
  const c = r.counters;
  const extra = c ? `, ${c.dispatches} ${r.engine.startsWith('tfjs') ? 'kernels' : 'dispatches'}/step` : '';
  log(
    `  ${where} ${fmtMs(r.msPerStep)} ms/step, ${r.tokensPerSec.toFixed(0)} tokens/s (median of ${r.timedSteps} after ${r.warmupSteps} warm-up)${extra}; ${r.notes.join('; ')}`,
  );
}

/** Why an engine does not run for this case on this host, or null when it does. */
function skipReason(c: BenchCase, engine: EngineId, adapter: AdapterInfo | null, all: boolean): string | null {
  if (c.engines && !c.engines.only.includes(engine)) return c.engines.why;
  const realGpu = c.needsRealGpu === true || (c.needsRealGpu === 'webgpu' && engine.endsWith('webgpu'));
  if (realGpu && (!adapter || adapter.isFallbackAdapter)) {
    return adapter ? `fallback adapter (${adapterName(adapter)})` : 'no WebGPU adapter';
  }
  if (engine.endsWith('webgpu') && !adapter) return 'no WebGPU adapter';
  const optIn = c.optIn?.[engine];
  if (optIn && !all) return `${optIn} (npm run bench -- --all)`;
  return null;
}

function adapterName(a: AdapterInfo): string {
  const name = a.architecture || a.vendor || 'software';
  return /swiftshader/i.test(name) ? 'SwiftShader' : name;
}

type Runner = (engine: EngineId, c: BenchCase, steps: StepCounts, reference: Reference | null) => Promise<RunResult>;

async function runHost(
  host: Host,
  engines: readonly EngineId[],
  cases: readonly BenchCase[],
  adapter: AdapterInfo | null,
  all: boolean,
  runOne: Runner,
  hostSkip: (engine: EngineId) => string | null = () => null,
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const fallback = !adapter || adapter.isFallbackAdapter;
  for (const c of cases) {
    let reference: Reference | null = null;
    for (const engine of engines) {
      const skip = skipReason(c, engine, adapter, all) ?? hostSkip(engine);
      let r: RunResult;
      if (skip) {
        r = emptyResult(engine, host, c.id, { skipped: skip });
      } else {
        try {
          r = await runOne(engine, c, stepsFor(c, engine, fallback), reference);
        } catch (err) {
          r = emptyResult(engine, host, c.id, { error: err instanceof Error ? err.message : String(err) });
        }
      }
      progress(r);
      results.push(r);
      if (!reference && !r.skipped && !r.error && r.rowLogps.length > 0) {
        reference = { engine, losses: r.losses, rowLogps: r.rowLogps };
      }
    }
  }
  return results;
}

async function browserHost(args: Args, cases: readonly BenchCase[]): Promise<HostReport> {
  log('browser: building bench/page and starting headless Chromium...');
  const browser = await openBenchBrowser((line) => {
    // SwiftShader/Chromium chatter is noise; page errors are worth seeing.
    if (!/favicon|404 \(Not Found\)/.test(line)) log(`    ${line.slice(0, 300)}`);
  });
  try {
    const a = browser.adapter;
    log(`browser: ${browser.userAgent}`);
    log(`browser: adapter ${a ? JSON.stringify(a) : 'none'}; crossOriginIsolated=${browser.crossOriginIsolated}`);
    const results = await runHost('browser', BROWSER_ENGINES, cases, a, args.all, (engine, c, steps, reference) =>
      browser.run(c.id, engine, steps, {
        // The reference engine (Orchard cpu) reports row log-probs; Orchard webgpu too on real GPUs.
        rowLogps: engine === 'orchard-cpu' || (engine === 'orchard-webgpu' && !!a && !a.isFallbackAdapter),
        reference: engine.startsWith('tfjs') ? reference : null,
        timeoutMs: c.timeoutMs,
      }),
    );
    return { host: 'browser', runtime: browser.userAgent, adapter: a, results, checks: lossChecks(results) };
  } finally {
    await browser.close();
  }
}

async function nodeHost(args: Args, cases: readonly BenchCase[]): Promise<HostReport> {
  const node = await openNodeHost();
  log(`node: ${node.runtime}; adapter ${node.adapter ? JSON.stringify(node.adapter) : `none (${node.gpuProblem})`}`);
  const realGpu = !!node.adapter && !node.adapter.isFallbackAdapter;
  // One workload at a time: a Qwen-shaped one holds 2 GB of weights.
  let current: Workload | null = null;
  const f16Rows: RunResult[] = [];
  const runOne: Runner = async (engine, c, steps, reference) => {
    if (current?.bench.id !== c.id) current = makeWorkload(c);
    const w = current;
    const rowLogps = engine === 'orchard-cpu' || realGpu;
    // The CPU backend counts its tensors' bytes, so its rows have a peak too (cpu-memory.ts).
    if (engine === 'orchard-cpu') return runOrchardCpuCounted(engine, 'node', w, steps, { rowLogps });
    if (engine === 'tfjs-webgpu')
      return (await import('./tfjs/node-webgpu.ts')).runTfjsWebgpuInNode(w, steps, reference);
    const r = await node.run(engine, w, steps, rowLogps);
    if (c.nodeOnly && realGpu) {
      const f16 = await runWebgpuF16Weights(w, steps).catch((err: unknown) => ({
        ...emptyResult(engine, 'node', c.id, { error: err instanceof Error ? err.message : String(err) }),
        variant: 'f16-weights',
      }));
      f16Rows.push(f16);
    }
    return r;
  };
  const tfjsSkip = (engine: EngineId) =>
    engine === 'tfjs-webgpu' && !realGpu
      ? 'TF.js webgpu in Node on real GPUs only (SwiftShader: the browser row)'
      : null;
  const results = await runHost('node', NODE_ENGINES, cases, node.adapter, args.all, runOne, tfjsSkip);
  current = null;
  for (const r of f16Rows) progress(r);
  results.push(...f16Rows);
  if (args.threads && cases.some((c) => c.id === 'tiny')) {
    log('  node: the tiny step on the CPU backend at 1 and N threads, in alternating rounds...');
    const rows = await cpuThreadRows(makeWorkload(CASES.tiny)).catch((err: unknown) => [
      emptyResult('orchard-cpu', 'node', 'tiny', { error: err instanceof Error ? err.message : String(err) }),
    ]);
    for (const r of rows) progress(r);
    results.push(...rows);
  }
  return { host: 'node', runtime: node.runtime, adapter: node.adapter, results, checks: lossChecks(results) };
}

function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'} (${c.length} cores), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}`;
}

function skippedLines(hosts: readonly HostReport[]): string[] {
  const lines = hosts.flatMap((h) =>
    h.results.filter((r) => r.skipped).map((r) => `${r.caseId} ${r.host}: skipped: ${r.skipped}`),
  );
  return [...new Set(lines)];
}

function writeReadme(record: BenchRecord): void {
  const readmePath = `${ROOT}README.md`;
  const section = readmeSection(record, skippedLines(record.hosts), explain(record.hosts));
  writeFileSync(readmePath, replaceReadmeSection(readFileSync(readmePath, 'utf8'), section));
  log('updated README.md (## Benchmarks)');
}

function saveRecord(record: BenchRecord): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const a = record.adapter;
  const slug = (a?.architecture || a?.vendor || 'no-webgpu').replace(/[^a-z0-9]+/gi, '-');
  const file = `${RESULTS_DIR}/${record.date.slice(0, 10)}-${slug.toLowerCase()}.json`;
  const json = `${JSON.stringify(record, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(`${RESULTS_DIR}/latest.json`, json);
  log(`\nwrote ${file.slice(ROOT.length)} and bench/results/latest.json`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.readmeOnly) {
    writeReadme(JSON.parse(readFileSync(`${RESULTS_DIR}/latest.json`, 'utf8')) as BenchRecord);
    return 0;
  }
  const cases = args.cases.map((id) => CASES[id]);
  const started = performance.now();
  log(`orchard bench: cases ${args.cases.join(', ')}; engines ${ENGINES.join(', ')}`);
  const hosts: HostReport[] = [];
  if (args.browser) {
    try {
      const inBrowser = cases.filter((c) => !c.nodeOnly);
      if (inBrowser.length > 0) hosts.push(await browserHost(args, inBrowser));
    } catch (err) {
      log(`browser: could not run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (args.node) hosts.push(await nodeHost(args, cases));

  log('\nLoss checks (every engine vs Orchard cpu on the same weights and data; TF.js is checked before timing):');
  for (const h of hosts) for (const line of formatChecks(h.checks, h.host)) log(line);
  log('');
  log(resultsTable(hosts));
  const llmMemory = llmMemoryRows();
  log(
    '\nMemory of the Llama-family LoRA DPO steps (analytic: the engine planner on the step graph; f16 weights: frozen weights at 2 bytes):',
  );
  log(llmMemoryTable(llmMemory));
  let generation: GenerationRow[] = [];
  if (args.node && args.generation) {
    log('');
    generation = await nodeGenerationRows(hosts.find((h) => h.host === 'node')?.adapter ?? null);
    log(generationTable(generation));
  }
  const nodeResults = hosts.find((h) => h.host === 'node')?.results ?? [];
  const targets = [
    ...targetLines(hosts),
    ...threadTarget(nodeResults),
    ...f16FitTargets(llmMemory),
    ...realGpuTargets(hosts),
  ];
  log('\nTargets:');
  for (const line of formatTargets(targets)) log(line);
  const skipped = [
    ...new Set(
      hosts.flatMap((h) =>
        h.results.filter((r) => r.skipped).map((r) => `${r.caseId} ${r.host}: skipped: ${r.skipped}`),
      ),
    ),
  ];
  for (const s of skipped) log(`  ${s}`);

  const browserAdapter = hosts.find((h) => h.host === 'browser')?.adapter ?? hosts[0]?.adapter ?? null;
  const record: BenchRecord = {
    date: new Date().toISOString(),
    machine: machine(),
    adapter: browserAdapter,
    hosts,
    targets,
    llmMemory,
    generation,
  };
  if (args.save) saveRecord(record);
  if (args.readme) writeReadme(record);
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const failed =
    hosts.some((h) => h.results.some((r) => r.error) || h.checks.some((c) => !c.ok)) || generation.some((g) => g.error);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
