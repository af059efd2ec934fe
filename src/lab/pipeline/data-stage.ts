/**
 * The stages between the loaded model and training: `sample` (task data: responses of the current
 * model to the training instructions), `judge` (both orders, ties dropped) and `pair` (the labelled
 * pool, the spec's edits applied). File and Hub data skip sampling: their comparisons are used as
 * given, and their (instruction, response) candidates are judged and paired like sampled ones.
 *
 * Sampling draws `candidatesPerInstruction` answers per instruction at temperature 1 (plain
 * sampling from the model, as the paper samples its SFT model), each with its own seed.
 */
import type { Judge } from '../../data/judges/types.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import type { Candidate } from '../../data/types.ts';
import type { Generator } from '../../engine/generate.ts';
import type { PipelineListener } from '../events.ts';
import type { Resolvers } from '../resolve.ts';
import type { ExperimentSpec } from '../spec.ts';
import { generateAnswers } from './generation.ts';
import {
  applyEdits,
  finishData,
  HUMAN_JUDGE_CONCURRENCY,
  keepMode,
  type PreparedData,
  pairCandidates,
} from './prepare-data.ts';
import { deriveSeed, SEED_PURPOSE } from './seeds.ts';
import { applesTrainInstructions } from './task-data.ts';

/** Decoding of the candidate responses the pipeline judges and pairs. */
export const CANDIDATE_SAMPLING = { temperature: 1, topK: 0, topP: 1 } as const;

export interface DataStageOptions {
  spec: ExperimentSpec;
  tokenizer: Tokenizer;
  generator: Generator;
  resolvers: Resolvers;
  judge: () => Promise<Judge>;
  emit: PipelineListener;
  signal?: AbortSignal;
}

export async function buildTrainingData(o: DataStageOptions): Promise<PreparedData> {
  const { spec, emit } = o;
  const d = spec.data;
  let candidates: Candidate[] = [];
  let given = [] as PreparedData['rows'];
  if (d.source === 'task') {
    const instructions = applesTrainInstructions(d.nInstructions, deriveSeed(spec.seed, SEED_PURPOSE.instructions));
    const prompts = instructions.flatMap((ins) => Array.from({ length: d.candidatesPerInstruction }, () => ins));
    emit({
      kind: 'progress',
      stage: 'sample',
      done: 0,
      total: prompts.length,
      message: `sampling ${prompts.length} responses`,
    });
    const answers = await generateAnswers(o.generator, o.tokenizer, prompts, {
      ...CANDIDATE_SAMPLING,
      template: d.template,
      maxPromptLength: d.maxPromptLength,
      maxNewTokens: spec.eval.maxNewTokens,
      seed: deriveSeed(spec.seed, SEED_PURPOSE.sampling),
      batchSize: 32,
      signal: o.signal,
      onProgress: (done, total) =>
        emit({ kind: 'progress', stage: 'sample', done, total, message: `sampled ${done}/${total} responses` }),
    });
    candidates = prompts.map((instruction, i) => ({ instruction, response: answers[i] }));
  } else {
    emit({ kind: 'progress', stage: 'sample', done: 0, total: 1, message: 'loading the data' });
    const data = await o.resolvers.data(d, {
      signal: o.signal,
      onProgress: (message, done, total) => emit({ kind: 'progress', stage: 'sample', done, total, message }),
    });
    for (const p of data.problems.slice(0, 5)) {
      emit({ kind: 'log', level: 'warn', message: `${data.source}: line ${p.line} skipped: ${p.reason}` });
    }
    if (data.problems.length > 5) {
      emit({ kind: 'log', level: 'warn', message: `${data.source}: ${data.problems.length - 5} more rows skipped` });
    }
    given = keepMode(data.pairs, d.pairing.mode);
    candidates = data.candidates.map((c) => ({ instruction: c.instruction, response: c.response }));
    emit({
      kind: 'progress',
      stage: 'sample',
      done: 1,
      total: 1,
      message: `${data.source}: ${data.pairs.length} comparisons, ${data.candidates.length} candidates`,
    });
  }

  let counts: PreparedData['counts'] = null;
  let judgedRows: PreparedData['rows'] = [];
  if (candidates.length > 0) {
    const judge = await o.judge();
    const result = await pairCandidates(candidates, {
      mode: d.pairing.mode,
      budget: d.pairing.budget,
      seed: deriveSeed(spec.seed, SEED_PURPOSE.pairing),
      judge,
      // A person sees a few pairs at once; machine judges stay sequential (same calls, same order).
      concurrency: d.pairing.judge === 'human' ? HUMAN_JUDGE_CONCURRENCY : 1,
      signal: o.signal,
      onProgress: (done, total) =>
        emit({ kind: 'progress', stage: 'judge', done, total, message: `judged ${done}/${total} pairs (both orders)` }),
    });
    counts = result.counts;
    judgedRows = result.pairs;
  }
  const rows = applyEdits([...given, ...judgedRows], d.edits);
  const data = finishData(rows, counts);
  const nCond = data.kinds.filter((k) => k === 'conditional').length;
  const tieNote = counts ? `, ${counts.ties} ties dropped` : '';
  emit({
    kind: 'progress',
    stage: 'pair',
    done: rows.length,
    total: rows.length,
    message: `${rows.length} labelled pairs: ${nCond} conditional, ${rows.length - nCond} joint${tieNote}`,
  });
  if (rows.length === 0) {
    throw new Error(
      'no labelled pairs to train on (every judged pair was a tie?); raise data.pairing.budget or data.nInstructions',
    );
  }
  return data;
}
