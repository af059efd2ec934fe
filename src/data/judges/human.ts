/**
 * A human judge: a queue of pending comparisons and the answered labels, serialisable to JSON so a
 * labelling session survives a reload. The UI shows `pending()` and calls `answer()`; pairing.ts
 * awaits `compare()`, which resolves when the person answers (use pairing's `concurrency` to put
 * many comparisons in the queue at once).
 *
 * A comparison asked again with the same (a, b) in the same order reuses the stored label, so
 * re-running pairing after a reload resumes where the person stopped. Restored pending items keep
 * their ids; they are resolved by a later compare() of the same pair.
 */
import type { Candidate } from '../types.ts';
import type { Judge, Verdict, Winner } from './types.ts';

export interface PendingComparison {
  id: string;
  a: Candidate;
  b: Candidate;
  /** Milliseconds since the epoch (the queue's clock). */
  askedAt: number;
}

export interface HumanLabel extends PendingComparison {
  winner: Winner;
  reason?: string;
  answeredAt: number;
}

export interface HumanQueueState {
  version: 1;
  nextId: number;
  pending: PendingComparison[];
  labels: HumanLabel[];
}

export class HumanJudgeQueue implements Judge {
  readonly name = 'human';
  private nextId = 1;
  private readonly waiting = new Map<string, PendingComparison>();
  private readonly answered: HumanLabel[] = [];
  private readonly resolvers = new Map<string, ((v: Verdict) => void)[]>();
  private readonly listeners = new Set<() => void>();
  private readonly clock: () => number;

  constructor(opts: { clock?: () => number } = {}) {
    this.clock = opts.clock ?? (() => Date.now());
  }

  compare(a: Candidate, b: Candidate): Promise<Verdict> {
    const key = pairKey(a, b);
    const done = this.answered.find((l) => pairKey(l.a, l.b) === key);
    if (done) return Promise.resolve(verdictOf(done));
    let item = [...this.waiting.values()].find((p) => pairKey(p.a, p.b) === key);
    if (!item) {
      item = { id: `c${this.nextId++}`, a: copy(a), b: copy(b), askedAt: this.clock() };
      this.waiting.set(item.id, item);
      this.changed();
    }
    const id = item.id;
    return new Promise((resolve) => {
      const list = this.resolvers.get(id) ?? [];
      list.push(resolve);
      this.resolvers.set(id, list);
    });
  }

  /** Comparisons waiting for an answer, oldest first. */
  pending(): PendingComparison[] {
    return [...this.waiting.values()];
  }

  labels(): HumanLabel[] {
    return [...this.answered];
  }

  answer(id: string, winner: Winner, reason?: string): HumanLabel {
    const item = this.waiting.get(id);
    if (!item) {
      const known = this.answered.some((l) => l.id === id);
      throw new Error(`comparison ${id} is ${known ? 'already answered' : 'not in the queue'}`);
    }
    if (winner !== 'a' && winner !== 'b' && winner !== 'tie') {
      throw new Error(`winner must be "a", "b" or "tie", got ${JSON.stringify(winner)}`);
    }
    const label: HumanLabel = { ...item, winner, answeredAt: this.clock(), ...(reason ? { reason } : {}) };
    this.waiting.delete(id);
    this.answered.push(label);
    for (const resolve of this.resolvers.get(id) ?? []) resolve(verdictOf(label));
    this.resolvers.delete(id);
    this.changed();
    return label;
  }

  /** Called after every change (a new pending comparison, an answer). Returns an unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  toJSON(): HumanQueueState {
    return { version: 1, nextId: this.nextId, pending: this.pending(), labels: this.labels() };
  }

  static fromJSON(state: HumanQueueState, opts: { clock?: () => number } = {}): HumanJudgeQueue {
    if (state?.version !== 1 || !Array.isArray(state.pending) || !Array.isArray(state.labels)) {
      throw new Error('not a saved human-judge queue (expected {version: 1, nextId, pending, labels})');
    }
    const q = new HumanJudgeQueue(opts);
    q.nextId = state.nextId;
    for (const p of state.pending) q.waiting.set(p.id, { ...p });
    q.answered.push(...state.labels.map((l) => ({ ...l })));
    return q;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

function verdictOf(label: HumanLabel): Verdict {
  return label.reason ? { winner: label.winner, reason: label.reason } : { winner: label.winner };
}

function pairKey(a: Candidate, b: Candidate): string {
  return JSON.stringify([a.instruction, a.response, b.instruction, b.response]);
}

function copy(c: Candidate): Candidate {
  return { instruction: c.instruction, response: c.response };
}
