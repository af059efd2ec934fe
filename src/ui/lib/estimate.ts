/**
 * How long an experiment will take, before it starts: the last finished run on the same backend
 * and model, scaled by how much work each spec asks for; with no such run, the README's measure of
 * the default comparison on a CPU (about half a minute), scaled the same way. It is an estimate,
 * said as one ("about"), and the run's own per-stage ETAs take over once it goes.
 */
import { DEFAULT_SPEC, type ExperimentSpec } from '../../lab/spec.ts';
import { dpoVsJpo } from './presets.ts';

/** The default DPO vs JPO comparison on a CPU, as measured for the README ("about half a minute"). */
export const REFERENCE_RUN_MS = 30_000;

export type EstimateBackend = 'webgpu' | 'cpu';

/** A finished run to scale from: what it trained, where, and how long it took. */
export interface PastRun {
  spec: ExperimentSpec;
  backend: string;
  status: string;
  elapsedMs: number;
  createdAt: number;
}

export interface Estimate {
  totalMs: number;
  /** Where the number comes from, in words for the page. */
  basis: string;
}

/**
 * The work a spec asks for, in token passes: training (every run, every step, forward and
 * backward ≈ 3 passes per token), generating answers to pair (task data), and generating the
 * evaluation answers (every run plus the baseline). Only ratios of it are used.
 */
export function workOf(spec: ExperimentSpec): number {
  const d = spec.data;
  const pairs = d.pairing.budget ?? 64;
  const steps = spec.steps ?? Math.ceil(((spec.epochs ?? 1) * pairs) / (spec.batchSize * spec.gradAccumulation));
  const train = spec.runs.length * steps * spec.batchSize * spec.gradAccumulation * 2 * d.maxLength * 3;
  const sampled = d.source === 'task' ? d.nInstructions * d.candidatesPerInstruction * spec.eval.maxNewTokens : 0;
  const sft = spec.sft ? spec.sft.steps * spec.sft.batchSize * d.maxLength * 3 : 0;
  const evaluated = (spec.runs.length + 1) * spec.eval.nTest * spec.eval.maxNewTokens;
  return train + sampled + sft + evaluated;
}

/** The estimate for `spec` on `backend`, from the newest comparable finished run in `history`. */
export function estimateRun(spec: ExperimentSpec, backend: EstimateBackend, history: readonly PastRun[]): Estimate {
  const sameModel = (s: ExperimentSpec) => JSON.stringify(s.model) === JSON.stringify(spec.model);
  const past = [...history]
    .filter((r) => r.status === 'done' && r.elapsedMs > 0 && r.backend === backend && sameModel(r.spec))
    .sort((a, b) => b.createdAt - a.createdAt)[0];
  if (past) {
    return {
      totalMs: (past.elapsedMs * workOf(spec)) / workOf(past.spec),
      basis: `from your last run on this ${backend === 'cpu' ? 'CPU' : 'GPU'}`,
    };
  }
  const reference = workOf(dpoVsJpo(DEFAULT_SPEC as ExperimentSpec));
  return {
    totalMs: (REFERENCE_RUN_MS * workOf(spec)) / reference,
    basis:
      backend === 'cpu' ? 'a rough estimate for a CPU' : 'a rough estimate (a CPU’s pace; a GPU is usually faster)',
  };
}

/** Time left in the whole run: the estimate less the time spent, never less than the stage in progress needs. */
export function totalLeftMs(estimateMs: number, elapsedMs: number, stageLeftMs: number | null): number {
  return Math.max(estimateMs - elapsedMs, stageLeftMs ?? 0, 0);
}
