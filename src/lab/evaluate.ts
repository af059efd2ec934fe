/**
 * Evaluation as in the paper: the model answers held-out instructions (near-greedy decoding, per
 * spec.eval), and a judge compares each answer with the other side, the reference model's answer
 * or a gold answer, twice with the order swapped. The answer wins only when both verdicts name it,
 * loses only when both name the other side; an inconsistent pair of verdicts, or a tie in either
 * order, is a tie worth 0.5. The win-rate comes with its 95% Wilson interval (./winrate.ts), and,
 * for judges that score single answers (the classroom oracle), the mean score of each side.
 *
 * A person judges blind (`blind` options): which order is asked first, so which side they see as A,
 * is a per-item choice of the caller, and identical answers are a tie without a question. A person
 * is asked once per pair (the swapped order mirrors their answer), so the verdicts do not depend on
 * the order; for other judges the options are left out and nothing changes.
 */

import type { Judge, Verdict } from '../data/judges/types.ts';
import type { Tokenizer } from '../data/tokenizer.ts';
import type { Generator } from '../engine/index.ts';
import type { EvalReport, WinRate } from './events.ts';
import { type GenerateAnswersOptions, generateAnswers, throwIfAborted } from './pipeline/generation.ts';
import type { EvalBaseline } from './spec.ts';
import { type Outcome, winRate } from './winrate.ts';

/** A held-out instruction and, when known, its gold answer. */
export interface EvalItem {
  instruction: string;
  gold: string | null;
}

export interface ComparedItem {
  instruction: string;
  answer: string;
  baseline: string;
  outcome: Outcome;
  /** Verdict on (answer, baseline): 'a' favours the answer. */
  first: Verdict;
  /** Verdict on (baseline, answer): 'b' favours the answer. */
  second: Verdict;
  score?: number;
  baselineScore?: number;
}

export interface JudgedAnswers {
  winRate: WinRate;
  items: ComparedItem[];
  /** Mean judge score of the answers and of the baseline (judges with score() only). */
  meanScore?: number;
  baselineMeanScore?: number;
}

/** One comparison in both orders (see the file header for the tie rule). */
export async function compareBothOrders(
  judge: Judge,
  instruction: string,
  answer: string,
  baseline: string,
  baselineFirst = false,
): Promise<{ outcome: Outcome; first: Verdict; second: Verdict }> {
  const mine = { instruction, response: answer };
  const theirs = { instruction, response: baseline };
  let first: Verdict;
  let second: Verdict;
  if (baselineFirst) {
    second = await judge.compare(theirs, mine);
    first = await judge.compare(mine, theirs);
  } else {
    first = await judge.compare(mine, theirs);
    second = await judge.compare(theirs, mine);
  }
  let outcome: Outcome = 'tie';
  if (first.winner === 'a' && second.winner === 'b') outcome = 'win';
  else if (first.winner === 'b' && second.winner === 'a') outcome = 'loss';
  return { outcome, first, second };
}

/** How a person judges: blind and without questions that have only one answer. */
export interface BlindOptions {
  /** True when item `index` is asked with the baseline's answer first (shown as side A). */
  baselineFirst: (index: number) => boolean;
  /** Identical answers are a tie, not a question. */
  tieIdentical: boolean;
}

export interface JudgeAnswersOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  blind?: BlindOptions;
}

const IDENTICAL: Verdict = { winner: 'tie', reason: 'identical answers' };

/** Judges every (answer, baseline) row; `answers[i]` and `baselines[i]` answer `instructions[i]`. */
export async function judgeAnswers(
  judge: Judge,
  instructions: readonly string[],
  answers: readonly string[],
  baselines: readonly string[],
  opts: JudgeAnswersOptions = {},
): Promise<JudgedAnswers> {
  if (answers.length !== instructions.length || baselines.length !== instructions.length) {
    throw new Error(
      `judgeAnswers: ${instructions.length} instructions, ${answers.length} answers and ${baselines.length} baselines; give one of each per item`,
    );
  }
  const items: ComparedItem[] = [];
  for (let i = 0; i < instructions.length; i++) {
    throwIfAborted(opts.signal);
    const c =
      opts.blind?.tieIdentical && answers[i] === baselines[i]
        ? { outcome: 'tie' as const, first: { ...IDENTICAL }, second: { ...IDENTICAL } }
        : await compareBothOrders(judge, instructions[i], answers[i], baselines[i], opts.blind?.baselineFirst(i));
    const item: ComparedItem = { instruction: instructions[i], answer: answers[i], baseline: baselines[i], ...c };
    if (judge.score) {
      item.score = (await judge.score({ instruction: instructions[i], response: answers[i] })).score;
      item.baselineScore = (await judge.score({ instruction: instructions[i], response: baselines[i] })).score;
    }
    items.push(item);
    opts.onProgress?.(items.length, instructions.length);
  }
  const out: JudgedAnswers = { winRate: winRate(items.map((x) => x.outcome)), items };
  if (judge.score && items.length > 0) {
    out.meanScore = mean(items.map((x) => x.score as number));
    out.baselineMeanScore = mean(items.map((x) => x.baselineScore as number));
  }
  return out;
}

export function evalReport(run: string, baseline: EvalBaseline, judged: JudgedAnswers): EvalReport {
  const report: EvalReport = { run, baseline, winRate: judged.winRate };
  if (judged.meanScore !== undefined) report.meanScore = judged.meanScore;
  if (judged.baselineMeanScore !== undefined) report.baselineMeanScore = judged.baselineMeanScore;
  return report;
}

export interface EvaluateModelOptions extends GenerateAnswersOptions {
  judge: Judge;
  items: readonly EvalItem[];
  /** The other side of each comparison: its answers (e.g. the reference model's), one per item. */
  baselineAnswers: readonly string[];
  /** For a person (see the file header). */
  blind?: BlindOptions;
}

/** Generates answers with `gen` (whatever weights its ParamStore holds now) and judges them. */
export async function evaluateModel(
  gen: Generator,
  tok: Tokenizer,
  o: EvaluateModelOptions,
): Promise<JudgedAnswers & { answers: string[] }> {
  const instructions = o.items.map((x) => x.instruction);
  const answers = await generateAnswers(gen, tok, instructions, o);
  const judged = await judgeAnswers(o.judge, instructions, answers, o.baselineAnswers, {
    signal: o.signal,
    ...(o.blind ? { blind: o.blind } : {}),
  });
  return { ...judged, answers };
}

/** Gold answers of the items; throws when one has none. */
export function goldAnswers(items: readonly EvalItem[]): string[] {
  return items.map((x, i) => {
    if (x.gold === null) {
      throw new Error(
        `eval item ${i} ("${x.instruction.slice(0, 40)}") has no gold answer; use eval.compareAgainst "reference-model"`,
      );
    }
    return x.gold;
  });
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
