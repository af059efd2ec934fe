/**
 * The token view's state: what the page asked the worker for (one pair, one step, every run) and
 * the answers, by run. Requests go out through orchard-worker.ts (requestTokenMargins); answers
 * arrive as token-margins-result, failures as error with the request's id.
 */
import { create } from 'zustand';
import type { TokenMarginsAnswer } from '../lab/token-margins-keeper.ts';

export interface TokenMarginsQuery {
  runId: string;
  pairFrom: string;
  pairIndex: number;
  step: number | null;
}

interface TokenMarginsState {
  query: TokenMarginsQuery | null;
  /** Request id → run, for the answers still awaited. */
  pending: Record<number, string>;
  answers: Record<string, TokenMarginsAnswer>;
  error: string | null;
  asked: (query: TokenMarginsQuery, ids: Record<number, string>) => void;
  received: (id: number, answer: TokenMarginsAnswer) => void;
  failed: (id: number, message: string) => void;
  clear: () => void;
}

export const useTokenMarginsStore = create<TokenMarginsState>((set, get) => ({
  query: null,
  pending: {},
  answers: {},
  error: null,
  asked: (query, ids) =>
    // Another experiment's answers are not this one's.
    set((s) => ({ query, pending: ids, error: null, answers: s.query?.runId === query.runId ? s.answers : {} })),
  received: (id, answer) => {
    const { pending, answers } = get();
    if (!(id in pending)) return; // an answer to a superseded request
    const { [id]: _, ...rest } = pending;
    set({ pending: rest, answers: { ...answers, [answer.run]: answer } });
  },
  failed: (id, message) => {
    const { pending } = get();
    if (!(id in pending)) return;
    const { [id]: _, ...rest } = pending;
    set({ pending: rest, error: message });
  },
  clear: () => set({ query: null, pending: {}, answers: {}, error: null }),
}));

/** Whether `id` is a token-margins request still awaited (so an error with it belongs here). */
export function isTokenMarginsRequest(id: number | null): boolean {
  return id !== null && id in useTokenMarginsStore.getState().pending;
}
