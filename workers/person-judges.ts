/**
 * A person as a judge of one run, on the worker's side. When the spec's `data.pairing.judge` is
 * "human" there is a HumanJudgeQueue for pairing (env.judges.human); when `eval.judge` is "human",
 * a second one for evaluation (env.judges.humanEval), so an evaluation question never reuses a
 * pairing label. Each queue's pending comparisons are posted (judge-pending) whenever they change
 * and answered from judge-answer; evaluation ids carry EVAL_ID_PREFIX on the wire, and say only the
 * two answers (the pipeline asks blind, pipeline/evaluate.ts). Stopping rejects the waits; the
 * queues outlive a device loss, so the CPU re-run reuses every answer given.
 */
import { HumanJudgeQueue } from '../src/data/judges/human.ts';
import type { Winner } from '../src/data/judges/types.ts';
import type { ExperimentSpec } from '../src/lab/spec.ts';
import type { FromWorker, JudgePurpose, Unversioned } from './protocol.ts';

/** Marks the evaluation queue's comparison ids on the wire (both queues number theirs c1, c2, ...). */
export const EVAL_ID_PREFIX = 'eval-';

type PendingMessage = Extract<Unversioned<FromWorker>, { type: 'judge-pending' }>;

export class PersonJudges {
  private readonly pairing: HumanJudgeQueue | null;
  private readonly evaluation: HumanJudgeQueue | null;
  /** Pairs pairing will ask about, for the page's "k of N" (null before pairing planned them). */
  private pairingTotal: number | null = null;

  constructor(
    private readonly runId: string,
    private readonly spec: ExperimentSpec,
    private readonly send: (msg: PendingMessage) => void,
    private readonly warn: (message: string) => void,
  ) {
    this.pairing = spec.data.pairing.judge === 'human' ? new HumanJudgeQueue() : null;
    this.pairing?.subscribe(() => this.sendPending('pairing'));
    this.evaluation = spec.eval.judge === 'human' ? new HumanJudgeQueue() : null;
    this.evaluation?.subscribe(() => this.sendPending('evaluation'));
  }

  /** The judges to hand the pipeline (env.judges), or undefined when no person judges. */
  judges(): { human?: HumanJudgeQueue; humanEval?: HumanJudgeQueue } | undefined {
    if (!this.pairing && !this.evaluation) return undefined;
    return {
      ...(this.pairing ? { human: this.pairing } : {}),
      ...(this.evaluation ? { humanEval: this.evaluation } : {}),
    };
  }

  /** Pairing planned `total` pairs (from the judge stage's progress). */
  planned(total: number): void {
    if (this.pairingTotal === total) return;
    this.pairingTotal = total;
    this.sendPending('pairing');
  }

  /** A person's verdict from the page. A stale or unknown id is logged, never thrown: the run goes on. */
  answer(comparison: string, winner: Winner): void {
    const evaluation = comparison.startsWith(EVAL_ID_PREFIX);
    const q = evaluation ? this.evaluation : this.pairing;
    if (!q) {
      const judge = evaluation
        ? `evaluation judge is "${this.spec.eval.judge}"`
        : `pairing judge is "${this.spec.data.pairing.judge}"`;
      this.warn(`judge answer for ${comparison} ignored: this run's ${judge}, not a person`);
      return;
    }
    try {
      q.answer(evaluation ? comparison.slice(EVAL_ID_PREFIX.length) : comparison, winner);
    } catch (err) {
      this.warn(`judge answer ignored: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Rejects every wait (the run is stopping). */
  abandon(reason: Error): void {
    this.pairing?.abandon(reason);
    this.evaluation?.abandon(reason);
  }

  /** The run ended: tell the page that nothing waits any more. */
  finish(): void {
    for (const purpose of ['pairing', 'evaluation'] as const) {
      const q = this.queue(purpose);
      if (!q?.pending().length) continue;
      this.send(this.message(purpose, q, []));
    }
  }

  private queue(purpose: JudgePurpose): HumanJudgeQueue | null {
    return purpose === 'pairing' ? this.pairing : this.evaluation;
  }

  private sendPending(purpose: JudgePurpose): void {
    const q = this.queue(purpose);
    if (!q) return;
    const prefix = purpose === 'evaluation' ? EVAL_ID_PREFIX : '';
    // Only the two answers: nothing says which side is the trained run (evaluation is blind).
    this.send(
      this.message(
        purpose,
        q,
        q.pending().map((p) => ({ id: prefix + p.id, a: p.a, b: p.b })),
      ),
    );
  }

  private message(purpose: JudgePurpose, q: HumanJudgeQueue, pending: PendingMessage['pending']): PendingMessage {
    const total = purpose === 'pairing' ? this.pairingTotal : null;
    return { type: 'judge-pending', runId: this.runId, pending, answered: q.labels().length, total, purpose };
  }
}
