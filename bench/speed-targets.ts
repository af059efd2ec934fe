/**
 * The speed and memory targets of issue 15, each as a target line with what was measured: the CPU
 * backend's thread speed-up, the Llama-family shapes' fit in 4 GiB with f16 weights (analytic),
 * and the real-GPU targets (an H100's step times, TFLOP/s, dispatches, the ratio to TF.js webgpu,
 * the Qwen-shaped step's peak memory). Without a real GPU the GPU lines say "skipped: needs a real
 * GPU" and name the command that measures them.
 */
import { CASES, type CaseId, type EngineId } from './cases.ts';
import { threadSpeedup } from './cpu-thread-rows.ts';
import { caseStepFlops } from './flops.ts';
import { FIT_BUDGET_BYTES, type LlmMemoryRow } from './llm-memory.ts';
import type { TargetLine } from './report.ts';
import type { HostReport, RunResult } from './result.ts';

const MiB = 2 ** 20;
const GB = 1e9;
const ran = (r: RunResult | undefined): r is RunResult => !!r && !r.skipped && !r.error && Number.isFinite(r.msPerStep);
const realGpu = (h: HostReport) => !!h.adapter && !h.adapter.isFallbackAdapter;

/** The command that measures the real-GPU targets on a GPU machine. */
export const REAL_GPU_COMMAND =
  'npm run bench -- --no-readme --cases tiny,gpt2-small-lora,qwen2.5-0.5b-lora (on a machine with a real GPU)';

export function threadTarget(nodeResults: readonly RunResult[]): TargetLine[] {
  const rows = nodeResults.filter((r) => r.caseId === 'tiny' && r.engine === 'orchard-cpu' && r.variant);
  if (rows.length === 0) return [];
  const s = threadSpeedup(rows);
  const target = 'cpu backend, 2 threads >= 1.7x its 1-thread speed (tiny step)';
  if (!s) return [{ caseId: 'tiny', host: 'node', target, measured: 'skipped: this machine has one core', met: null }];
  const measured = `${s.ratio.toFixed(2)}x at ${s.threads} threads`;
  return [{ caseId: 'tiny', host: 'node', target, measured, met: s.threads === 2 ? s.ratio >= 1.7 : null }];
}

export function f16FitTargets(rows: readonly LlmMemoryRow[]): TargetLine[] {
  return rows.map((r) => ({
    caseId: r.caseId,
    host: 'analytic',
    target: `fits in ${FIT_BUDGET_BYTES / 2 ** 30} GiB with f16 weights (LoRA step, ${r.batch})`,
    measured: `${(r.f16WeightsTotalBytes / MiB).toFixed(0)} MiB with f16 weights (${(r.f32.totalBytes / MiB).toFixed(0)} MiB f32; activations ${((r.f32.intermediateBytes + r.f32.inputBytes) / MiB).toFixed(0)} MiB)`,
    met: r.f16WeightsTotalBytes <= FIT_BUDGET_BYTES,
  }));
}

/** One line per real-GPU target of each host that has WebGPU (or one host line when none ran). */
export function realGpuTargets(hosts: readonly HostReport[]): TargetLine[] {
  const lines: TargetLine[] = [];
  const gpuHosts = hosts.filter(realGpu);
  if (gpuHosts.length === 0) {
    const host = hosts.map((h) => h.host).join('+') || '-';
    for (const [caseId, target] of REAL_GPU_TARGETS)
      lines.push({ caseId, host, target, measured: 'skipped: needs a real GPU', met: null });
    const measure = `skipped here; on a GPU machine: ${REAL_GPU_COMMAND}`;
    lines.push({
      caseId: 'qwen2.5-0.5b-lora',
      host,
      target: 'how to measure the real-GPU targets',
      measured: measure,
      met: null,
    });
    return lines;
  }
  for (const h of gpuHosts) {
    const get = (caseId: CaseId, engine: EngineId) =>
      h.results.find((r) => r.caseId === caseId && r.engine === engine && !r.variant);
    const add = (caseId: CaseId, target: string, measured: string, met: boolean | null) =>
      lines.push({ caseId, host: h.host, target, measured, met });
    const missing = (caseId: CaseId, target: string, r: RunResult | undefined) =>
      add(caseId, target, `not measured (${r?.skipped ?? r?.error ?? `run with --cases ${caseId}`})`, null);

    const small = get('gpt2-small-lora', 'orchard-webgpu');
    const [smallTarget, tflopsTarget, tinyTarget, tfjsTarget, qwenTarget] = REAL_GPU_TARGETS.map(([, t]) => t);
    if (ran(small)) {
      const tflops = caseStepFlops(CASES['gpt2-small-lora']) / (small.msPerStep * 1e9);
      add('gpt2-small-lora', smallTarget, `${small.msPerStep.toFixed(1)} ms`, small.msPerStep <= 20);
      add('gpt2-small-lora', tflopsTarget, `${tflops.toFixed(1)} TFLOP/s`, tflops >= 25);
    } else {
      missing('gpt2-small-lora', smallTarget, small);
    }
    const tiny = get('tiny', 'orchard-webgpu');
    if (ran(tiny)) {
      const d = tiny.counters?.dispatches ?? Number.NaN;
      add('tiny', tinyTarget, `${tiny.msPerStep.toFixed(2)} ms, ${d} dispatches`, tiny.msPerStep <= 2.5 && d <= 200);
    } else {
      missing('tiny', tinyTarget, tiny);
    }
    for (const caseId of ['tiny', 'gpt2-small-lora'] as const) {
      const [o, t] = [get(caseId, 'orchard-webgpu'), get(caseId, 'tfjs-webgpu')];
      if (ran(o) && ran(t)) {
        const x = o.tokensPerSec / t.tokensPerSec;
        add(caseId, tfjsTarget, `${x.toFixed(2)}x`, x >= 3);
      } else if (h.host === 'browser' || ran(t)) {
        missing(caseId, tfjsTarget, ran(o) ? t : o);
      }
    }
    const qwenRows = h.results.filter((r) => r.caseId === 'qwen2.5-0.5b-lora' && r.engine === 'orchard-webgpu');
    for (const qwen of qwenRows.length ? qwenRows : [undefined]) {
      const weights = `${qwen?.variant ?? 'f32'} weights`;
      if (ran(qwen) && qwen.peakBytes && qwen.analyticBytes) {
        const x = qwen.peakBytes / qwen.analyticBytes;
        const measured = `${weights}: ${x.toFixed(3)}x analytic, ${(qwen.peakBytes / GB).toFixed(2)} GB peak (${(qwen.analyticBytes / GB).toFixed(2)} GB analytic)`;
        add('qwen2.5-0.5b-lora', qwenTarget, measured, x <= 1.25 && qwen.peakBytes <= 3 * GB);
      } else {
        missing('qwen2.5-0.5b-lora', `${qwenTarget} (${weights})`, qwen);
      }
    }
  }
  return lines;
}

const REAL_GPU_TARGETS: readonly (readonly [CaseId, string])[] = [
  ['gpt2-small-lora', 'H100: GPT-2-small LoRA DPO step (8 x 128) <= 20 ms'],
  ['gpt2-small-lora', 'H100: GPT-2-small LoRA DPO step >= 25 TFLOP/s (~40% of fp32 peak)'],
  ['tiny', 'H100: tiny step <= 2.5 ms with <= 200 dispatches'],
  ['gpt2-small-lora', 'webgpu >= 3x TF.js webgpu tokens/s on the same GPU'],
  ['qwen2.5-0.5b-lora', 'Qwen2.5-0.5B LoRA step (4 x 256) peak <= 1.25x analytic and <= 3 GB'],
];
