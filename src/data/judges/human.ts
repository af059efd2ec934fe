/**
 * A human judge: a queue of pending comparisons and the answered labels, serialisable to JSON so a
 * labelling session survives a reload. The UI shows `pending()` and calls `answer()`; pairing.ts
 * awaits `compare()`, which resolves when the person answers (use pairing's `concurrency` to put
 * many comparisons in the queue at once).
 *
 * A person is asked once per pair; the swapped order reuses the answer, mirrored: compare(b, a)
 * after (or while) (a, b) is asked resolves from the same label with "a" and "b" exchanged ("tie"
 * stays "tie"). pairing.ts's two-order consistency check then holds by construction, which is what
 * a person means (they judged content, not position) and halves their work.
 *
 * A comparison asked again with the same (a, b) in the same order reuses the stored label, so
 * re-running pairing after a reload resumes where the person stopped. Restored pending items keep
 * their ids; they are resolved by a later compare() of the same pair (in either order).
 *
 * `abandon(reason)` rejects every compare() still waiting (a cancelled run must not wait for a
 * person forever); the pending items stay, so a later compare() of the same pair can still be answered.
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
  private readonly resolvers = new Map<string, Waiter[]>();
  private readonly listeners = new Set<() => void>();
  private readonly clock: () => number;

  constructor(opts: { clock?: () => number } = {}) {
    this.clock = opts.clock ?? (() => Date.now());
  }

  compare(a: Candidate, b: Candidate): Promise<Verdict> {
    const key = pairKey(a, b);
    const swapped = pairKey(b, a);
    const done = this.answered.find((l) => pairKey(l.a, l.b) === key);
    if (done) return Promise.resolve(verdictOf(done));
    const mirrored = this.answered.find((l) => pairKey(l.a, l.b) === swapped);
    if (mirrored) return Promise.resolve(mirror(verdictOf(mirrored)));
    const waiting = [...this.waiting.values()];
    let item = waiting.find((p) => pairKey(p.a, p.b) === key);
    let flip = false;
    if (!item) {
      item = waiting.find((p) => pairKey(p.a, p.b) === swapped);
      flip = item !== undefined;
    }
    if (!item) {
      item = { id: `c${this.nextId++}`, a: copy(a), b: copy(b), askedAt: this.clock() };
      this.waiting.set(item.id, item);
      this.changed();
    }
    const id = item.id;
    return new Promise((resolve, reject) => {
      const list = this.resolvers.get(id) ?? [];
      list.push({ resolve: flip ? (v) => resolve(mirror(v)) : resolve, reject });
      this.resolvers.set(id, list);
    });
  }

  /** Rejects every compare() still waiting with `reason` (the run was cancelled); pending items stay. */
  abandon(reason: Error): void {
    const waiters = [...this.resolvers.values()].flat();
    this.resolvers.clear();
    for (const w of waiters) w.reject(reason);
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
    for (const w of this.resolvers.get(id) ?? []) w.resolve(verdictOf(label));
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

interface Waiter {
  resolve: (v: Verdict) => void;
  reject: (reason: Error) => void;
}

/** The verdict on (a, b) read as a verdict on (b, a). */
function mirror(v: Verdict): Verdict {
  const winner: Winner = v.winner === 'a' ? 'b' : v.winner === 'b' ? 'a' : 'tie';
  const out: Verdict = { ...v, winner };
  if (v.scores) out.scores = [v.scores[1], v.scores[0]];
  return out;
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
