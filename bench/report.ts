/**
 * Turns the runs into what `npm run bench` prints and keeps: the TF.js-vs-Orchard loss checks,
 * the results table, the targets (met or missed, with the measured ratio), the JSON record and the
 * README's "## Benchmarks" section.
 */
import { CASES, type CaseId, type EngineId } from './cases.ts';
import { caseStepFlops } from './flops.ts';
import { type GenerationRow, generationTable } from './generation-bench.ts';
import { describeThroughput } from './gpu-peaks.ts';
import { type LlmMemoryRow, llmMemoryTable } from './llm-memory.ts';
import { type AdapterInfo, CHECK_TOLERANCE, type HostReport, type LossCheck, type RunResult } from './result.ts';

export interface BenchRecord {
  date: string;
  machine: string;
  /** The adapter the browser saw (the Node adapter is in hosts[].adapter). */
  adapter: AdapterInfo | null;
  hosts: HostReport[];
  targets: TargetLine[];
  /** The Llama-family shapes' analytic memory (absent in records written before it existed). */
  llmMemory?: LlmMemoryRow[];
  /** Batched KV-cache generation rows. */
  generation?: GenerationRow[];
}

export interface TargetLine {
  caseId: CaseId;
  host: string;
  target: string;
  measured: string;
  met: boolean | null;
}

const MB = 1024 * 1024;
const TFJS_PEER: Partial<Record<EngineId, EngineId>> = {
  'orchard-webgpu': 'tfjs-webgpu',
  'orchard-cpu': 'tfjs-cpu',
};

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

/**
 * Every engine's losses and initial row log-probs against Orchard's CPU backend (the numerical
 * reference) on the same host, or its WebGPU backend where the CPU one did not run.
 */
export function lossChecks(results: readonly RunResult[]): LossCheck[] {
  const checks: LossCheck[] = [];
  for (const caseId of new Set(results.map((r) => r.caseId))) {
    // f16 weights change the loss by more than the f32 tolerance; their parity has its own tests
    // (test/unit/f16-weights-training.test.ts).
    const ran = results.filter((r) => r.caseId === caseId && !r.skipped && !r.error && r.variant !== 'f16-weights');
    const ref = ran.find((r) => r.engine === 'orchard-cpu') ?? ran.find((r) => r.engine === 'orchard-webgpu');
    if (!ref) continue;
    for (const r of ran) {
      if (r === ref) continue;
      const n = Math.min(r.losses.length, ref.losses.length);
      const lossRelDiff = Math.max(0, ...Array.from({ length: n }, (_, i) => relDiff(r.losses[i], ref.losses[i])));
      const m = Math.min(r.rowLogps.length, ref.rowLogps.length);
      const logpRelDiff =
        m === 0
          ? Number.NaN
          : Math.max(...Array.from({ length: m }, (_, i) => relDiff(r.rowLogps[i], ref.rowLogps[i])));
      const ok = n > 0 && lossRelDiff <= CHECK_TOLERANCE && !(logpRelDiff > CHECK_TOLERANCE);
      checks.push({ caseId, engine: r.engine, variant: r.variant, against: ref.engine, lossRelDiff, logpRelDiff, ok });
    }
  }
  return checks;
}

export function formatChecks(checks: readonly LossCheck[], host: string): string[] {
  return checks.map((c) => {
    const logp = Number.isNaN(c.logpRelDiff) ? 'row log-probs not compared' : `row log-probs ${sci(c.logpRelDiff)}`;
    return `  [${c.ok ? 'ok' : 'MISMATCH'}] ${host} ${c.caseId}: ${c.engine}${c.variant ? ` (${c.variant})` : ''} vs ${c.against}: losses ${sci(c.lossRelDiff)}, ${logp} (max relative diff; tolerance ${sci(CHECK_TOLERANCE)})`;
  });
}

/** tokens/s of an Orchard engine over a TF.js engine on the same host and case. */
function ratio(r: RunResult, peer: EngineId, all: readonly RunResult[]): number | null {
  const p = all.find((x) => x.engine === peer && x.caseId === r.caseId && x.host === r.host && ok(x));
  return p && ok(r) ? r.tokensPerSec / p.tokensPerSec : null;
}

/** The ratio column: webgpu vs TF.js webgpu; cpu vs TF.js cpu (the target) and vs TF.js wasm. */
function ratioCell(r: RunResult, all: readonly RunResult[]): string {
  const peer = TFJS_PEER[r.engine];
  if (!peer) return '-';
  const parts = [[peer, ratio(r, peer, all)] as const];
  if (r.engine === 'orchard-cpu') parts.push(['tfjs-wasm', ratio(r, 'tfjs-wasm', all)] as const);
  const shown = parts.filter(([, x]) => x !== null).map(([e, x]) => `${(x as number).toFixed(2)}x ${e.slice(5)}`);
  return shown.length ? shown.join(', ') : '-';
}

const ok = (r: RunResult) => !r.skipped && !r.error && Number.isFinite(r.msPerStep);

export function resultsTable(hosts: readonly HostReport[]): string {
  const all = hosts.flatMap((h) => h.results);
  const adapterOf = new Map(hosts.map((h) => [h.host, h.adapter]));
  const header = [
    'backend',
    'host',
    'model',
    'ms/step',
    'tokens/s',
    'TFLOP/s (of fp32 peak)',
    'peak MB',
    'analytic MB',
    'peak/analytic',
    'dispatches/step',
    'submissions/step',
    'readbacks/step (bytes)',
    'vs TF.js (tokens/s)',
  ];
  const rows: string[][] = [];
  const skippedShown = new Set<string>();
  for (const r of all) {
    if (r.skipped) {
      // One row per skipped case and host, not one per engine.
      const key = `${r.host} ${r.caseId} ${r.skipped}`;
      const whole = all.filter((x) => x.host === r.host && x.caseId === r.caseId).every((x) => x.skipped === r.skipped);
      if (whole && skippedShown.has(key)) continue;
      skippedShown.add(key);
      rows.push([whole ? 'all' : r.engine, r.host, r.caseId, `skipped: ${r.skipped}`]);
      continue;
    }
    if (r.error) {
      rows.push([r.engine, r.host, r.caseId, `error: ${r.error}`]);
      continue;
    }
    const c = r.counters;
    const peakRatio = r.peakBytes !== null && r.analyticBytes ? r.peakBytes / r.analyticBytes : null;
    const tfjs = r.engine.startsWith('tfjs');
    const gpu = r.engine.endsWith('webgpu');
    rows.push([
      r.variant ? `${r.engine} (${r.variant})` : r.engine,
      r.host,
      r.caseId,
      r.msPerStep.toFixed(r.msPerStep < 100 ? 1 : 0),
      r.tokensPerSec.toFixed(r.tokensPerSec < 100 ? 1 : 0),
      describeThroughput(caseStepFlops(CASES[r.caseId]), r.msPerStep, adapterOf.get(r.host) ?? null, gpu),
      r.peakBytes === null ? '-' : (r.peakBytes / MB).toFixed(1),
      r.analyticBytes === null ? '-' : (r.analyticBytes / MB).toFixed(1),
      peakRatio === null ? '-' : `${peakRatio.toFixed(3)}x`,
      c ? `${num(c.dispatches)}${tfjs ? ' kernels' : ''}` : '-',
      c ? submissions(c.submissions, c.programSubmissions, c.reads) : '-',
      c ? `${num(c.reads)} (${num(c.bytesRead)} B)` : '-',
      ratioCell(r, all),
    ]);
  }
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function submissions(total: number, program: number, reads: number): string {
  if (!Number.isFinite(total)) return '-';
  return total === program ? num(total) : `${num(total)} (${num(program)} program runs, ${num(reads)} reads)`;
}

const num = (x: number) => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '-');
const sci = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : 'n/a');

/** The issue's targets, each with the measured number. */
export function targetLines(hosts: readonly HostReport[]): TargetLine[] {
  const lines: TargetLine[] = [];
  for (const h of hosts) {
    const all = h.results;
    for (const caseId of new Set(all.map((r) => r.caseId))) {
      const add = (target: string, measured: string, met: boolean) =>
        lines.push({ caseId, host: h.host, target, measured, met });
      const get = (e: EngineId) => all.find((r) => r.engine === e && r.caseId === caseId && ok(r));
      /** Orchard's tokens/s over TF.js's on the same backend, against a minimum speed-up. */
      const speedup = (orchard: EngineId, tfjs: EngineId, target: string, min: number) => {
        const [o, t] = [get(orchard), get(tfjs)];
        if (!o || !t) return;
        const x = o.tokensPerSec / t.tokensPerSec;
        add(target, `${x.toFixed(2)}x`, x >= min);
      };
      if (h.host === 'browser') {
        speedup('orchard-webgpu', 'tfjs-webgpu', 'webgpu >= 2x TF.js webgpu (tokens/s)', 2);
        speedup('orchard-cpu', 'tfjs-cpu', 'cpu >= TF.js cpu (tokens/s)', 1);
      }
      const gpu = get('orchard-webgpu');
      if (gpu?.peakBytes && gpu.analyticBytes) {
        const x = gpu.peakBytes / gpu.analyticBytes;
        const mb = `${(gpu.peakBytes / MB).toFixed(1)} / ${(gpu.analyticBytes / MB).toFixed(1)} MB`;
        add('webgpu peak memory <= 1.25x analytic', `${x.toFixed(3)}x (${mb})`, x <= 1.25);
      }
      if (gpu?.counters) {
        const c = gpu.counters;
        add(
          'one submission per optimizer step',
          `${num(c.submissions)} queue submission(s) per step (${num(c.programSubmissions)} program run(s) and ${num(c.reads)} readback copies, ${num(c.bytesRead)} bytes)`,
          c.submissions === 1,
        );
        add(
          'zero blocking readbacks in the step loop',
          c.blockingReadbacks === 0
            ? '0 per step (every step was submitted while the previous loss was still being read back)'
            : `${num(c.blockingReadbacks)} per step waited for a readback before it was submitted`,
          c.blockingReadbacks === 0,
        );
      }
    }
  }
  return lines;
}

export function formatTargets(lines: readonly TargetLine[]): string[] {
  return lines.map(
    (t) =>
      `  [${t.met === true ? 'met' : t.met === false ? 'MISSED' : t.measured.startsWith('skipped') ? 'skipped' : 'partly'}] ${t.host} ${t.caseId}: ${t.target}: ${t.measured}`,
  );
}

/** The README section (everything under "## Benchmarks"). */
export function readmeSection(rec: BenchRecord, skipped: readonly string[], notes: readonly string[]): string {
  const describe = (a: AdapterInfo) => `${a.vendor} ${a.architecture} ${a.description}`.replace(/\s+/g, ' ').trim();
  const adapters = rec.hosts.map((h) => `${h.host}: ${h.adapter ? describe(h.adapter) : 'none'}`).join('; ');
  const fallback = rec.hosts.some((h) => h.adapter?.isFallbackAdapter);
  const adapter = `${adapters}${fallback ? ' (fallback adapter: software rendering on the CPU)' : ''}`;
  const browser = rec.hosts.find((h) => h.host === 'browser');
  const cases = [...new Set(rec.hosts.flatMap((h) => h.results.map((r) => r.caseId)))];
  return [
    '## Benchmarks',
    '',
    '`npm run bench` (bench/run.ts) times one DPO training step (forward, backward, grad-norm clip, AdamW) of the',
    'same GPT-2 in Orchard (webgpu and cpu backends) and in TensorFlow.js (its webgpu, wasm and cpu backends),',
    'all in one headless Chromium page, plus Orchard in Node (WebGPU through Dawn, and the CPU backend). Every',
    "TF.js step is first checked against Orchard's loss and log-probs on the same weights and data. Results:",
    '`bench/results/`.',
    '',
    ...cases.map((id) => `- \`${id}\`: ${CASES[id].title}`),
    '',
    `Last run: ${rec.date.slice(0, 10)} on ${rec.machine}.`,
    `Adapter: ${adapter}. Browser: ${browser?.runtime ?? 'n/a'}.`,
    '',
    resultsTable(rec.hosts),
    '',
    ...(rec.llmMemory?.length
      ? [
          'Memory of the Llama-family LoRA DPO steps (analytic: the engine planner on the step graph):',
          '',
          llmMemoryTable(rec.llmMemory),
          '',
        ]
      : []),
    ...(rec.generation?.length ? [generationTable(rec.generation), ''] : []),
    'Targets:',
    '',
    ...formatTargets(rec.targets).map((l) => `- ${l.trim()}`),
    ...skipped.map((s) => `- ${s}`),
    '',
    ...notes,
  ].join('\n');
}

/** Replaces the README's "## Benchmarks" section (up to the next "## " heading) with `section`. */
export function replaceReadmeSection(readme: string, section: string): string {
  const start = readme.indexOf('\n## Benchmarks');
  if (start < 0) return `${readme.trimEnd()}\n\n${section}\n`;
  const next = readme.indexOf('\n## ', start + 1);
  const tail = next < 0 ? '' : readme.slice(next);
  return `${readme.slice(0, start + 1)}${section.trimEnd()}\n${tail}`;
}
