/**
 * Turning instructions into model answers: the prompt ids exactly as training encodes them
 * (src/data/sequence.ts rules 1, 3 and 5: [BOS] + the formatted prompt, keeping its end when it is
 * too long), batched generation, and the answer text (stop token removed, decoded, trimmed).
 *
 * Item i always samples with the seed rowSeed(seed, i), so an answer never depends on how the
 * items were batched.
 */
import { formatPrompt } from '../../data/sequence.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import { type Generator, rowSeed } from '../../engine/index.ts';

export interface PromptOptions {
  template: string;
  maxPromptLength: number;
}

export interface DecodingOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export interface GenerateAnswersOptions extends PromptOptions, DecodingOptions {
  /** Prompts per generate() call (default 16). */
  batchSize?: number;
  signal?: AbortSignal;
  /** Called after each batch with the number of answers done. */
  onProgress?: (done: number, total: number) => void;
}

/** [BOS] + the tokens of the formatted prompt, truncated from the front to maxPromptLength. */
export function promptIds(tok: Tokenizer, instruction: string, o: PromptOptions): number[] {
  let ids = tok.encode(formatPrompt(tok, instruction, o.template));
  if (ids.length > o.maxPromptLength) ids = ids.slice(ids.length - o.maxPromptLength);
  return tok.bosId === null ? ids : [tok.bosId, ...ids];
}

/** The answer text of generated ids: the stop (EOS) token dropped, decoded, outer whitespace trimmed. */
export function answerText(tok: Tokenizer, ids: readonly number[]): string {
  const body = tok.eosId !== null && ids[ids.length - 1] === tok.eosId ? ids.slice(0, -1) : [...ids];
  return tok.decode(body).trim();
}

/** Answers to `instructions`, in order. Throws an AbortError-like Error when `signal` aborts between batches. */
export async function generateAnswers(
  gen: Generator,
  tok: Tokenizer,
  instructions: readonly string[],
  o: GenerateAnswersOptions,
): Promise<string[]> {
  const size = o.batchSize ?? 16;
  const out: string[] = [];
  for (let start = 0; start < instructions.length; start += size) {
    throwIfAborted(o.signal);
    const chunk = instructions.slice(start, start + size);
    const result = await gen.generate(
      chunk.map((ins) => promptIds(tok, ins, o)),
      {
        maxNewTokens: o.maxNewTokens,
        temperature: o.temperature,
        topK: o.topK,
        topP: o.topP,
        stopIds: [tok.eosId],
        padId: tok.padId,
        seed: chunk.map((_, k) => rowSeed(o.seed, start + k)),
      },
    );
    for (const ids of result.tokens) out.push(answerText(tok, ids));
    o.onProgress?.(out.length, instructions.length);
  }
  return out;
}

/** The error thrown when work stops because the caller's AbortSignal fired. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}
