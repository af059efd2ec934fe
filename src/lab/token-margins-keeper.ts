/**
 * Keeps an experiment's training snapshots in memory (it is the pipeline's TrainingSnapshots) and
 * answers the token view's questions from them: which steps and pairs a run has, and the
 * token-by-token margins of one pair at one step.
 *
 * Memory: under LoRA a snapshot is the adapters (small), so up to LORA_SNAPSHOTS steps are kept per
 * run; under full fine-tuning a snapshot is a whole model, so only FULL_SNAPSHOTS per run (step 0,
 * two steps between, the last). The reference is the context's initial params, shared by every run,
 * so a run resumed from a checkpoint has its margins at the steps it did keep (one resumed
 * finished: step 0 and its last).
 */
import type { PreferenceRow } from '../data/types.ts';
import type { Backend } from '../engine/index.ts';
import { evenlySpacedSteps, type SnapshotContext, type TrainingSnapshots } from './pipeline/snapshots.ts';
import type { RunPlan } from './plan.ts';
import { type TokenMargins, tokenMargins } from './token-margins.ts';
import { type PairOption, pairOptions } from './token-pair-choice.ts';

export const LORA_SNAPSHOTS = 11;
export const FULL_SNAPSHOTS = 4;
export interface TokenMarginsAnswer {
  run: string;
  objective: RunPlan['objective'];
  mode: RunPlan['mode'];
  beta: number;
  /** The run whose training pairs `pairIndex` indexes. */
  pairFrom: string;
  pairIndex: number;
  step: number;
  /** The steps this run has snapshots of, ascending (0 = before training). */
  steps: number[];
  /** Training pairs of `pairFrom`, and the short list to pick from (token-pair-choice.ts; any index can be asked). */
  pairCount: number;
  pairOptions: PairOption[];
  pair: PreferenceRow;
  margins: TokenMargins;
}

export class TokenMarginsKeeper implements TrainingSnapshots {
  private ctx: SnapshotContext | null = null;
  private readonly byRun = new Map<string, Map<number, Map<string, Float32Array>>>();

  steps(totalSteps: number, fullFineTuning: boolean): ReadonlySet<number> {
    return evenlySpacedSteps(totalSteps, fullFineTuning ? FULL_SNAPSHOTS : LORA_SNAPSHOTS);
  }

  begin(ctx: SnapshotContext): void {
    this.ctx = ctx;
    this.byRun.clear();
  }

  take(run: string, step: number, trainable: Map<string, Float32Array>): void {
    const steps = this.byRun.get(run) ?? new Map<number, Map<string, Float32Array>>();
    steps.set(step, trainable);
    this.byRun.set(run, steps);
  }

  /** What begin() was given (null before training). */
  get context(): SnapshotContext | null {
    return this.ctx;
  }

  /** The trainable params of `run` after `step` updates, when kept. */
  snapshot(run: string, step: number): ReadonlyMap<string, Float32Array> | undefined {
    return this.byRun.get(run)?.get(step);
  }

  /** The runs with snapshots, in plan order. */
  runs(): string[] {
    return (this.ctx?.runs ?? []).map((r) => r.label).filter((l) => this.byRun.has(l));
  }

  /** A run's training pairs (pair k is the run's k-th encoded pair). */
  pairs(run: string): readonly PreferenceRow[] {
    return this.ctx?.pairs.get(run) ?? [];
  }

  /**
   * The margins of pair `pairIndex` of run `pairFrom`'s training pairs (default: `run`'s own), under
   * `run`'s params at `step` (null: its last snapshot). Another run's pair lets the view show one
   * pair under DPO and JPO side by side.
   */
  async margins(
    run: string,
    pairIndex: number,
    step: number | null,
    backend: Backend,
    pairFrom: string = run,
  ): Promise<TokenMarginsAnswer> {
    const ctx = this.ctx;
    if (!ctx) throw new Error('no training snapshots: the token view needs an experiment trained in this page');
    const plan = ctx.runs.find((r) => r.label === run);
    const snapshots = this.byRun.get(run);
    if (!plan || !snapshots) {
      throw new Error(
        `no run "${run}" with training snapshots; runs with snapshots: ${this.runs().join(', ') || 'none'}`,
      );
    }
    const pairs = ctx.pairs.get(pairFrom) ?? [];
    if (!Number.isInteger(pairIndex) || pairIndex < 0 || pairIndex >= pairs.length) {
      const valid =
        pairs.length === 0
          ? 'that run has no training pairs'
          : `indexes run from 0 to ${pairs.length - 1} (pair numbers 1 to ${pairs.length} in the view)`;
      throw new Error(`pair ${pairIndex} of run "${pairFrom}" does not exist: ${valid}`);
    }
    const steps = [...snapshots.keys()].sort((a, b) => a - b);
    const at = step ?? steps[steps.length - 1];
    const policy = snapshots.get(at);
    if (!policy) throw new Error(`run "${run}" has no snapshot at step ${at}; steps kept: ${steps.join(', ')}`);
    const margins = await tokenMargins({
      model: ctx.model,
      lora: ctx.lora,
      backend,
      tokenizer: ctx.tokenizer,
      encoding: ctx.encoding,
      policy,
      // Every run starts from the same initial params: the reference.
      reference: ctx.initial,
      precision: ctx.precision,
      kernels: ctx.kernels,
      pair: pairs[pairIndex],
      mode: plan.mode,
      beta: plan.loss.beta,
    });
    return {
      run,
      objective: plan.objective,
      mode: plan.mode,
      beta: plan.loss.beta,
      pairFrom,
      pairIndex,
      step: at,
      steps,
      pairCount: pairs.length,
      pairOptions: pairOptions(pairs, { selected: pairIndex, added: ctx.added }),
      pair: pairs[pairIndex],
      margins,
    };
  }
}
