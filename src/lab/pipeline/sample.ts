/**
 * The sample stage: the candidates to judge. Task data: responses of the current model to the
 * training instructions, `candidatesPerInstruction` per instruction, sampled at temperature 1
 * (plain sampling from the model, as the paper samples its SFT model), each with its own seed.
 * File and Hub data: their comparisons are taken as given (filtered to the pairing mode), and their
 * (instruction, response) candidates go on to be judged and paired like sampled ones.
 */
import type { Tokenizer } from '../../data/tokenizer.ts';
import type { Candidate, PreferenceRow } from '../../data/types.ts';
import type { Generator } from '../../engine/index.ts';
import type { PipelineListener } from '../events.ts';
import type { DataPlan } from '../plan.ts';
import type { Resolvers } from '../resolve.ts';
import { generateAnswers } from './generation.ts';
import { keepMode } from './prepare-data.ts';
import { applesTrainInstructions } from './task-data.ts';

export interface SampleStageOptions {
  data: DataPlan;
  tokenizer: Tokenizer;
  generator: Generator;
  resolvers: Resolvers;
  emit: PipelineListener;
  signal?: AbortSignal;
}

export interface Sampled {
  /** Candidates to judge and pair. */
  candidates: Candidate[];
  /** Comparisons the data gives as they are. */
  given: PreferenceRow[];
}

export async function sampleStage(o: SampleStageOptions): Promise<Sampled> {
  const { emit } = o;
  const d = o.data.source;
  if (d.source === 'task') {
    const instructions = applesTrainInstructions(d.nInstructions, o.data.instructionsSeed);
    const prompts = instructions.flatMap((ins) => Array.from({ length: d.candidatesPerInstruction }, () => ins));
    emit({
      kind: 'progress',
      stage: 'sample',
      done: 0,
      total: prompts.length,
      message: `sampling ${prompts.length} responses`,
    });
    const answers = await generateAnswers(o.generator, o.tokenizer, prompts, {
      ...o.data.candidates,
      batchSize: 32,
      signal: o.signal,
      onProgress: (done, total) =>
        emit({ kind: 'progress', stage: 'sample', done, total, message: `sampled ${done}/${total} responses` }),
    });
    return { candidates: prompts.map((instruction, i) => ({ instruction, response: answers[i] })), given: [] };
  }
  emit({ kind: 'progress', stage: 'sample', done: 0, total: 1, message: 'loading the data' });
  const data = await o.resolvers.data(d, {
    signal: o.signal,
    onProgress: (message, done, total) => emit({ kind: 'progress', stage: 'sample', done, total, message }),
  });
  for (const p of data.problems.slice(0, 5)) {
    emit({ kind: 'log', level: 'warn', message: `${p.file ?? data.source}: line ${p.line} skipped: ${p.reason}` });
  }
  if (data.problems.length > 5) {
    emit({ kind: 'log', level: 'warn', message: `${data.source}: ${data.problems.length - 5} more rows skipped` });
  }
  emit({
    kind: 'progress',
    stage: 'sample',
    done: 1,
    total: 1,
    message: `${data.source}: ${data.pairs.length} comparisons, ${data.candidates.length} candidates`,
  });
  return {
    candidates: data.candidates.map((c) => ({ instruction: c.instruction, response: c.response })),
    given: keepMode(data.pairs, o.data.pairing.mode),
  };
}
