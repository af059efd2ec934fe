/**
 * The tiny case's step on the CPU backend at 1 thread and at N (all cores up to 8, or
 * ORCHARD_CPU_THREADS), as two rows of the main table. Timed as `npm run bench:cpu-threads` does
 * it: the two backends take turns, a few steps each, for several rounds, so background load hits
 * both alike; each row's ms/step is the median over all its rounds. Losses must agree bit for bit
 * (the threaded gemm keeps each output's summation order), which the loss checks then confirm.
 */
import { resolveThreadCount } from '../src/engine/backends/cpu/threads/thread-count.ts';
import { CASES } from './cases.ts';
import { runOrchardCpuCounted } from './cpu-memory.ts';
import { median, type RunResult } from './result.ts';
import type { Workload } from './workload.ts';

const ROUNDS = 3;
const STEPS = { warmup: 1, timed: 4 };

/** Rows '1 thread' and 'N threads' (only the first when this machine has one core). */
export async function cpuThreadRows(tiny: Workload): Promise<RunResult[]> {
  const n = resolveThreadCount();
  const counts = n > 1 ? [1, n] : [1];
  const runs = new Map<number, RunResult[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of counts) {
      const r = await runOrchardCpuCounted('orchard-cpu', 'node', tiny, STEPS, { rowLogps: false, threads });
      runs.set(threads, [...(runs.get(threads) ?? []), r]);
    }
  }
  return counts.map((threads) => {
    const all = runs.get(threads) ?? [];
    const first = all[0];
    const times = all.flatMap((r) => r.msPerStepAll);
    const ms = median(times);
    return {
      ...first,
      variant: `${threads} thread${threads === 1 ? '' : 's'}`,
      timedSteps: times.length,
      msPerStep: ms,
      msPerStepAll: times,
      tokensPerSec: (2 * CASES.tiny.pairs * CASES.tiny.T) / (ms / 1000),
      notes: [...first.notes, `${ROUNDS} alternating rounds of ${STEPS.timed} timed steps`],
    };
  });
}

/** The N-thread row's speed over the 1-thread row's, or null without both. */
export function threadSpeedup(rows: readonly RunResult[]): { threads: number; ratio: number } | null {
  const one = rows.find((r) => r.variant === '1 thread' && !r.error);
  const many = rows.find((r) => r.variant && r.variant !== '1 thread' && !r.error);
  if (!one || !many) return null;
  return { threads: Number.parseInt(many.variant ?? '', 10), ratio: one.msPerStep / many.msPerStep };
}
