/**
 * The comparisons a live run waits for when a person is its pairing or evaluation judge (the
 * worker's judge-pending messages), and the answers sent but not yet confirmed, so that the panel moves to
 * the next pair at once and a fast typist never answers the same pair twice.
 */
import { create } from 'zustand';
import type { JudgePurpose, PendingJudgement } from '../../workers/protocol.ts';

interface LiveJudgeState {
  runId: string | null;
  /** Waiting in the worker's queue, oldest first. */
  pending: PendingJudgement[];
  /** Answers the worker has counted. */
  answered: number;
  /** Pairs the run will ask about (null until pairing has planned them). */
  total: number | null;
  /** Ids answered on this page and not yet gone from `pending`. */
  sent: string[];
  /** The stage that asks (the panel's wording). */
  purpose: JudgePurpose;
  received: (
    runId: string,
    pending: PendingJudgement[],
    answered: number,
    total: number | null,
    purpose?: JudgePurpose,
  ) => void;
  markSent: (runId: string, id: string) => void;
  clear: (runId?: string) => void;
}

const EMPTY = { runId: null, pending: [], answered: 0, total: null, sent: [], purpose: 'pairing' as const };

export const useLiveJudgeStore = create<LiveJudgeState>()((set) => ({
  ...EMPTY,
  received: (runId, pending, answered, total, purpose = 'pairing') =>
    set((s) => {
      const ids = new Set(pending.map((p) => p.id));
      const sent = s.runId === runId ? s.sent.filter((id) => ids.has(id)) : [];
      return { runId, pending, answered, total, sent, purpose };
    }),
  markSent: (runId, id) => set((s) => (s.runId === runId && !s.sent.includes(id) ? { sent: [...s.sent, id] } : {})),
  clear: (runId) => set((s) => (runId === undefined || s.runId === runId ? EMPTY : {})),
}));

/** The comparisons still to answer on this page, oldest first. */
export function unanswered(s: Pick<LiveJudgeState, 'pending' | 'sent'>): PendingJudgement[] {
  return s.pending.filter((p) => !s.sent.includes(p.id));
}

/** "k of N answered": the worker's count plus answers on their way. */
export function answeredCount(s: Pick<LiveJudgeState, 'answered' | 'sent'>): number {
  return s.answered + s.sent.length;
}
