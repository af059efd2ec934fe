/**
 * Candidates for pairing on the Apples & Oranges task: for each sampled instruction, one reference
 * answer and one flawed answer per applicable flaw (apples.ts flawedAnswers).
 */
import { Rng } from '../../engine/random.ts';
import type { Candidate } from '../types.ts';
import { type Flaw, flawedAnswers, type ListSpec, referenceAnswer, renderInstruction, splitSpecs } from './apples.ts';

export interface AppleCandidate extends Candidate {
  /** null for the reference answer. */
  flaw: Flaw | null;
}

export interface AppleCandidateOptions {
  seed: number;
  nInstructions: number;
  split?: 'train' | 'test';
  testFraction?: number;
}

/** Instructions of one split, a seeded sample of nInstructions (all of them when fewer exist). */
export function sampleSpecs(opts: AppleCandidateOptions): ListSpec[] {
  const { train, test } = splitSpecs(opts.seed, opts.testFraction);
  const pool = opts.split === 'test' ? test : train;
  if (!(Number.isInteger(opts.nInstructions) && opts.nInstructions > 0)) {
    throw new Error(`nInstructions must be a positive integer, got ${opts.nInstructions}`);
  }
  return new Rng(opts.seed ^ 0x5eed).shuffle([...pool]).slice(0, opts.nInstructions);
}

export function appleCandidates(opts: AppleCandidateOptions): AppleCandidate[] {
  const rng = new Rng(opts.seed);
  const out: AppleCandidate[] = [];
  for (const spec of sampleSpecs(opts)) {
    const instruction = renderInstruction(spec);
    out.push({ instruction, response: referenceAnswer(spec, rng), flaw: null });
    for (const f of flawedAnswers(spec, rng)) out.push({ instruction, response: f.response, flaw: f.flaw });
  }
  return out;
}
