/**
 * Issue 15's target lines (bench/speed-targets.ts) from given results: skipped without a real GPU,
 * judged against the thresholds with one (an H100 as Dawn in Node reports it). No timing here: the
 * step times are made up to sit on either side of each threshold.
 */
import { describe, expect, it } from 'vitest';
import type { CaseId, EngineId } from '../../bench/cases.ts';
import type { LlmMemoryRow } from '../../bench/llm-memory.ts';
import { type AdapterInfo, emptyResult, type HostReport, type RunResult } from '../../bench/result.ts';
import { f16FitTargets, realGpuTargets, threadTarget } from '../../bench/speed-targets.ts';

const H100: AdapterInfo = {
  vendor: 'nvidia',
  architecture: '',
  device: 'nvidia-h100-80gb-hbm3',
  description: '',
  isFallbackAdapter: false,
};
const SWIFTSHADER: AdapterInfo = { ...H100, vendor: 'google', device: 'swiftshader', isFallbackAdapter: true };

function run(caseId: CaseId, engine: EngineId, ms: number, extra: Partial<RunResult> = {}): RunResult {
  return {
    ...emptyResult(engine, 'node', caseId, {}),
    warmupSteps: 1,
    timedSteps: 1,
    msPerStep: ms,
    msPerStepAll: [ms],
    tokensPerSec: 1000 / ms,
    losses: [1],
    ...extra,
  };
}

const host = (adapter: AdapterInfo | null, results: RunResult[]): HostReport => ({
  host: 'node',
  runtime: 'node',
  adapter,
  results,
  checks: [],
});

describe('real-GPU targets', () => {
  it('are skipped, with the command, on a software adapter', () => {
    const lines = realGpuTargets([host(SWIFTSHADER, [run('tiny', 'orchard-webgpu', 2000)])]);
    expect(lines.length).toBe(6);
    expect(lines.every((l) => l.met === null && l.measured.startsWith('skipped'))).toBe(true);
    expect(lines.at(-1)?.measured).toContain('--cases tiny,gpt2-small-lora,qwen2.5-0.5b-lora');
  });

  it('are judged on a real GPU', () => {
    const counters = {
      dispatches: 180,
      submissions: 1,
      programSubmissions: 1,
      reads: 2,
      bytesRead: 8,
      bytesWritten: 0,
      blockingReadbacks: 0,
    };
    const GB = 1e9;
    const lines = realGpuTargets([
      host(H100, [
        run('gpt2-small-lora', 'orchard-webgpu', 30), // > 20 ms: missed; 0.52 TFLOP / 30 ms ~ 17 TFLOP/s: missed
        run('gpt2-small-lora', 'tfjs-webgpu', 120), // 4x slower: the 3x target is met
        run('tiny', 'orchard-webgpu', 2, { counters }), // <= 2.5 ms, 180 dispatches: met
        run('tiny', 'tfjs-webgpu', 4), // only 2x
        run('qwen2.5-0.5b-lora', 'orchard-webgpu', 100, { peakBytes: 4 * GB, analyticBytes: 3.9 * GB }),
        run('qwen2.5-0.5b-lora', 'orchard-webgpu', 100, {
          variant: 'f16-weights',
          peakBytes: 2.9 * GB,
          analyticBytes: 2.8 * GB,
        }),
      ]),
    ]);
    const met = (target: RegExp, caseId?: CaseId) =>
      lines.filter((l) => target.test(l.target) && (!caseId || l.caseId === caseId)).map((l) => l.met);
    expect(met(/<= 20 ms/)).toEqual([false]);
    expect(met(/TFLOP\/s/)).toEqual([false]);
    expect(met(/tiny step <= 2.5 ms/)).toEqual([true]);
    expect(met(/3x TF.js/, 'gpt2-small-lora')).toEqual([true]);
    expect(met(/3x TF.js/, 'tiny')).toEqual([false]);
    // f32 weights: 4 GB is over 3 GB; f16 weights: 2.9 GB and 1.04x analytic.
    expect(met(/Qwen2.5-0.5B/)).toEqual([false, true]);
  });
});

describe('thread and fit targets', () => {
  it('compares the 2-thread row with the 1-thread row', () => {
    const rows = [
      run('tiny', 'orchard-cpu', 100, { variant: '1 thread' }),
      run('tiny', 'orchard-cpu', 50, { variant: '2 threads' }),
    ];
    expect(threadTarget(rows)).toMatchObject([{ measured: '2.00x at 2 threads', met: true }]);
    rows[1].msPerStep = 80;
    expect(threadTarget(rows)).toMatchObject([{ measured: '1.25x at 2 threads', met: false }]);
    expect(threadTarget([])).toEqual([]);
  });

  it('fits in 4 GiB with f16 weights, or not', () => {
    const row = (f16: number) =>
      ({
        caseId: 'qwen2.5-0.5b-lora',
        batch: '4 x 256',
        f16WeightsTotalBytes: f16,
        f32: { totalBytes: f16 * 1.3, intermediateBytes: 0, inputBytes: 0 },
      }) as unknown as LlmMemoryRow;
    expect(f16FitTargets([row(4 * 2 ** 30), row(4 * 2 ** 30 + 1)]).map((t) => t.met)).toEqual([true, false]);
  });
});
