/**
 * What a person labels in the browser, and how their answers become training data.
 *
 * The pairs come from the classroom task (Apples & Oranges): for the experiment's seed, a few
 * instructions of the task's TRAINING split (the held-out ones stay unseen, so labels never leak
 * into the evaluation), with a reference answer and flawed answers each, paired by the paper's
 * protocol (pairing.ts planPairs): conditional pairs (two answers to one instruction) interleaved
 * with joint pairs (two different instructions, each with an answer). Which side is shown as A is
 * random (seeded), so the reference answer is not always on the left.
 *
 * Answers become PreferenceRows (winner chosen, loser rejected; ties and skips dropped), which go
 * into the spec's `data.edits.add`: the pipeline appends them to its pairs, and a share link
 * carries them.
 */

import { planPairs } from '../data/pairing.ts';
import { type Flaw, flawedAnswers, parseInstruction, referenceAnswer } from '../data/tasks/apples.ts';
import type { Candidate, PreferenceRow } from '../data/types.ts';
import { Rng } from '../engine/random.ts';
import { applesTrainInstructions } from '../lab/pipeline/task-data.ts';
import { SPEC_LIMITS } from '../lab/spec.ts';
import type { HumanPairLabel } from './runs-db.ts';

export interface LabelPair {
  key: string;
  kind: 'conditional' | 'joint';
  a: Candidate;
  b: Candidate;
}

/** Instructions drawn for labelling: enough for a lesson's worth of pairs, few enough to finish. */
export const LABEL_INSTRUCTIONS = 12;
/** The most pairs the queue offers (the spec takes at most SPEC_LIMITS.editsAdd of them). */
export const LABEL_QUEUE_SIZE = 48;

export function pairKey(a: Candidate, b: Candidate): string {
  return JSON.stringify([a.instruction, a.response, b.instruction, b.response]);
}

export interface TaskCandidate extends Candidate {
  /** null for the task's reference answer. */
  flaw: Flaw | null;
}

/** `n` training-split instructions for `seed`, each with its reference answer and its flawed answers. */
export function trainCandidates(seed: number, n: number): TaskCandidate[] {
  const rng = new Rng(seed ^ 0xca9d);
  const out: TaskCandidate[] = [];
  for (const instruction of applesTrainInstructions(n, seed)) {
    const spec = parseInstruction(instruction);
    if (!spec) throw new Error(`trainCandidates: "${instruction}" does not parse as a task instruction`);
    out.push({ instruction, response: referenceAnswer(spec, rng), flaw: null });
    for (const f of flawedAnswers(spec, rng)) out.push({ instruction, response: f.response, flaw: f.flaw });
  }
  return out;
}

export function buildLabelQueue(seed: number, instructions = LABEL_INSTRUCTIONS): LabelPair[] {
  const candidates = trainCandidates(seed, instructions);
  const plan = planPairs(candidates, { mode: 'both', seed });
  const rng = new Rng(seed ^ 0x1abe1);
  return plan.pairs.slice(0, LABEL_QUEUE_SIZE).map((p) => {
    const [a, b] = rng.next() < 0.5 ? [p.a, p.b] : [p.b, p.a];
    const sideA = { instruction: a.instruction, response: a.response };
    const sideB = { instruction: b.instruction, response: b.response };
    return { key: pairKey(sideA, sideB), kind: p.kind, a: sideA, b: sideB };
  });
}

/** Decided labels as training rows, oldest first, at most what a spec's edits can hold. */
export function labelsToRows(labels: readonly HumanPairLabel[]): PreferenceRow[] {
  const rows: PreferenceRow[] = [];
  for (const l of labels) {
    if (l.winner !== 'a' && l.winner !== 'b') continue;
    const [w, r] = l.winner === 'a' ? [l.a, l.b] : [l.b, l.a];
    rows.push({ i_chosen: w.instruction, r_chosen: w.response, i_reject: r.instruction, r_reject: r.response });
  }
  return rows.slice(0, SPEC_LIMITS.editsAdd);
}

/** The next pair without an answer, or null when the queue is done. */
export function nextPair(queue: readonly LabelPair[], labels: readonly HumanPairLabel[]): LabelPair | null {
  const answered = new Set(labels.map((l) => l.key));
  return queue.find((p) => !answered.has(p.key)) ?? null;
}
