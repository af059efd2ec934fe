/**
 * Turns one (instruction, response) side into token ids and a label mask; pads sides into batches.
 *
 * Exact semantics (the CLI prints these ids; the engine relies on them):
 *
 * 1. prompt text = template with every "{instruction}" replaced by the instruction.
 *    - default template: PAPER_TEMPLATE = "### Instructions: {instruction}\n\n### Response:"
 *    - template === CHAT_TEMPLATE ('chat'): the tokenizer's own chat_template rendered with one user
 *      message and add_generation_prompt = true; a leading BOS *text* the template writes (Llama's
 *      "{{ bos_token }}") is stripped because rule 3 adds the BOS id itself.
 *    - any other string must contain "{instruction}".
 * 2. response text = separator + response. separator 'auto' (the default) is " " when the prompt
 *    ends with a non-whitespace character and the response does not start with whitespace, else "":
 *    the paper template gives "### Response: Orange, Kiwi" (one space, as TRL-style templates; what
 *    byte-level BPE tokenizers expect, their words carry a leading space), and a chat prompt ending
 *    in "\n" gets the response directly. separator 'none' is the paper code's plain concatenation
 *    ("### Response:Orange, Kiwi").
 * 3. ids = [BOS] + encode(prompt text) + encode(response text) + [EOS]. Prompt and response are
 *    tokenized separately (no special tokens added by the tokenizer) so the mask boundary is exact.
 *    BOS is omitted when tokenizer.bosId is null (Qwen); EOS when tokenizer.eosId is null.
 * 4. mask (1 = the token at position t is predicted from positions < t and counts):
 *    - 'conditional' (DPO): 1 on the response tokens and EOS, 0 on BOS and prompt.
 *    - 'joint' (JPO): 1 on every position except position 0 (BOS, or for a tokenizer without BOS the
 *      first prompt token, which has nothing to be predicted from).
 * 5. truncation, `truncated` says whether anything was cut. Prompts keep their END, so the
 *    "### Response:" cue survives; responses keep their start. Two rules (`truncation`):
 *    'trl' (TRL's DPOTrainer and the paper's code, truncation_mode keep_end): with L = the longer
 *    response of the pair plus EOS (`pairedResponse` is the other side's; without it, this side's),
 *    when BOS + prompt + L > maxLength the prompt is cut to maxPromptLength tokens (the BOS counted
 *    among them, as TRL counts it); when BOS + prompt + L still exceeds maxLength, every response
 *    longer than maxLength − maxPromptLength tokens (EOS counted) is cut to that, and a cut response
 *    loses its EOS. A prompt that fits with its responses is never cut. One difference: TRL's
 *    keep_end slices the BOS off with the prompt's start; here the BOS stays and one fewer prompt
 *    token is kept.
 *    'prompt-first' (version 1, the default of this function):
 *    - maxPromptLength bounds the prompt tokens (BOS not counted) and keeps the END of the prompt,
 *      so the "### Response:" cue survives.
 *    - maxLength bounds the whole sequence (BOS and EOS counted). Response tokens are cut from the
 *      end and the EOS is dropped with them: a cut response did not end, so it must not teach the
 *      model to stop there. When the prompt alone leaves no room, the prompt is cut further (keeping
 *      its end) so that one response token (or the EOS of an empty response) remains.
 * 6. batching pads on the right with padId and mask 0; padding never counts.
 */
import { encodeHead, encodeTail } from './tokenize-bounded.ts';
import type { Tokenizer } from './tokenizer.ts';

export const PAPER_TEMPLATE = '### Instructions: {instruction}\n\n### Response:';
/** Sentinel template value: use the tokenizer's chat_template. */
export const CHAT_TEMPLATE = 'chat';
export const DEFAULT_BUCKETS: readonly number[] = [16, 32, 64, 128, 256, 512, 1024];

export type SequenceMode = 'joint' | 'conditional';

/** Rule 5's choices: how a pair that does not fit is cut. */
export const TRUNCATION_RULES = ['trl', 'prompt-first'] as const;
export type TruncationRule = (typeof TRUNCATION_RULES)[number];

/** Rule 2's choices: what goes between the prompt and the response. */
export const RESPONSE_SEPARATORS = ['auto', 'none'] as const;
export type ResponseSeparator = (typeof RESPONSE_SEPARATORS)[number];

export interface Encoded {
  ids: number[];
  mask: number[];
}

export interface EncodeOptions {
  mode: SequenceMode;
  template?: string;
  maxLength?: number;
  maxPromptLength?: number;
  separator?: ResponseSeparator;
  /** Rule 5's rule (default 'prompt-first'). */
  truncation?: TruncationRule;
  /** The other side's response ('trl' compares with the pair's longer response, as TRL does). */
  pairedResponse?: string;
}

export interface EncodedPair extends Encoded {
  truncated: boolean;
  /** Index of the first response token (= BOS + prompt tokens). */
  responseStart: number;
}

/** Rule 1: the prompt text for an instruction. */
export function formatPrompt(tok: Tokenizer, instruction: string, template: string = PAPER_TEMPLATE): string {
  if (template === CHAT_TEMPLATE) {
    if (!tok.applyChatTemplate || tok.chatTemplate === null) {
      throw new Error(
        `template "chat": tokenizer "${tok.name}" has no chat_template; use the paper template or a string with {instruction}`,
      );
    }
    let text = tok.applyChatTemplate([{ role: 'user', content: instruction }], {
      addGenerationPrompt: true,
    });
    if (tok.bosToken && text.startsWith(tok.bosToken)) text = text.slice(tok.bosToken.length);
    return text;
  }
  if (!template.includes('{instruction}')) {
    throw new Error(
      `template ${JSON.stringify(template)} has no {instruction} placeholder; add one, e.g. "Q: {instruction}\\nA:"`,
    );
  }
  return template.split('{instruction}').join(instruction);
}

/** Rule 2: the response text as appended to a prompt. */
export function responseText(prompt: string, response: string, separator: ResponseSeparator = 'auto'): string {
  if (separator === 'none') return response;
  const promptEndsInText = prompt.length > 0 && !/\s$/u.test(prompt);
  const responseStartsWithSpace = /^\s/u.test(response);
  return promptEndsInText && !responseStartsWithSpace && response.length > 0 ? ` ${response}` : response;
}

/** Rules 3-5: ids and mask of one side. */
export function encodePair(tok: Tokenizer, instruction: string, response: string, opts: EncodeOptions): EncodedPair {
  const promptStr = formatPrompt(tok, instruction, opts.template);
  const trl = opts.truncation === 'trl';
  const maxLength = opts.maxLength ?? Number.POSITIVE_INFINITY;
  // Only what truncation can keep is tokenized (a 10 MB row must not be encoded in full); the ids
  // are those of tokenize-then-truncate (tokenize-bounded.ts). 'trl' may keep a whole prompt that fits.
  const promptLimit = trl ? maxLength : Math.min(opts.maxPromptLength ?? Number.POSITIVE_INFINITY, maxLength);
  let prompt = encodeTail(tok, promptStr, promptLimit);
  let resp = encodeHead(tok, responseText(promptStr, response, opts.separator), opts.maxLength);
  const bos = tok.bosId === null ? [] : [tok.bosId];
  let eos = tok.eosId === null ? [] : [tok.eosId];
  let truncated = false;

  if (trl) {
    if (opts.maxLength !== undefined) {
      const max = opts.maxLength;
      checkLimit('maxLength', max, bos.length + 1);
      const other =
        opts.pairedResponse === undefined
          ? 0
          : encodeHead(tok, responseText(promptStr, opts.pairedResponse, opts.separator), opts.maxLength).length;
      const longest = Math.max(resp.length, other) + eos.length;
      const maxPrompt = opts.maxPromptLength ?? opts.maxLength;
      checkLimit('maxPromptLength', maxPrompt, bos.length);
      const over = () => bos.length + prompt.length + longest > max;
      if (over() && bos.length + prompt.length > maxPrompt) {
        prompt = prompt.slice(prompt.length - (maxPrompt - bos.length));
        truncated = true;
      }
      const room = max - maxPrompt;
      if (over() && resp.length + eos.length > room) {
        resp = resp.slice(0, Math.max(0, room));
        eos = [];
        truncated = true;
      }
    }
  } else if (opts.maxPromptLength !== undefined && prompt.length > opts.maxPromptLength) {
    checkLimit('maxPromptLength', opts.maxPromptLength, 0);
    prompt = prompt.slice(prompt.length - opts.maxPromptLength);
    truncated = true;
  }
  if (!trl && opts.maxLength !== undefined) {
    checkLimit('maxLength', opts.maxLength, bos.length + 1);
    const promptRoom = opts.maxLength - bos.length - 1;
    if (prompt.length > promptRoom) {
      prompt = prompt.slice(prompt.length - promptRoom);
      truncated = true;
    }
    const room = opts.maxLength - bos.length - prompt.length;
    // An empty response keeps its EOS: the prompt cut above leaves room >= 1.
    if (resp.length > 0 && resp.length + eos.length > room) {
      resp = resp.slice(0, room);
      eos = [];
      truncated = true;
    }
  }

  const ids = [...bos, ...prompt, ...resp, ...eos];
  const responseStart = bos.length + prompt.length;
  const firstCounted = opts.mode === 'joint' ? 1 : Math.max(1, responseStart);
  const mask = ids.map((_, t) => (t >= firstCounted ? 1 : 0));
  return { ids, mask, truncated, responseStart };
}

function checkLimit(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min} (got ${value})`);
  }
}

export interface Batch {
  /** [B, T] row-major token ids, right-padded with padId. */
  ids: Int32Array;
  /** [B, T] row-major; 1 where the token counts, 0 on masked and padding positions. */
  mask: Float32Array;
  B: number;
  T: number;
}

/** The padded length for a longest row: the smallest bucket that fits, else the length itself. */
export function bucketLength(maxLen: number, bucketSizes: readonly number[] = DEFAULT_BUCKETS): number {
  let best = Number.POSITIVE_INFINITY;
  for (const b of bucketSizes) if (b >= maxLen && b < best) best = b;
  return Number.isFinite(best) ? best : maxLen;
}

/** Rule 6: pads rows to one [B, T] batch; T = bucketLength(longest row). */
export function batchEncoded(rows: Encoded[], opts: { bucketSizes?: readonly number[]; padId: number }): Batch {
  if (rows.length === 0) throw new Error('batchEncoded: no rows to batch');
  let maxLen = 0;
  for (const [i, r] of rows.entries()) {
    if (r.ids.length !== r.mask.length) {
      throw new Error(`batchEncoded: row ${i} has ${r.ids.length} ids but ${r.mask.length} mask entries`);
    }
    if (r.ids.length > maxLen) maxLen = r.ids.length;
  }
  const B = rows.length;
  const T = bucketLength(maxLen, opts.bucketSizes ?? DEFAULT_BUCKETS);
  const ids = new Int32Array(B * T).fill(opts.padId);
  const mask = new Float32Array(B * T);
  rows.forEach((r, b) => {
    ids.set(r.ids, b * T);
    mask.set(r.mask, b * T);
  });
  return { ids, mask, B, T };
}

/** Both sides of a preference row, encoded with the same options. */
export function encodeRow(
  tok: Tokenizer,
  row: { i_chosen: string; r_chosen: string; i_reject: string; r_reject: string },
  opts: EncodeOptions,
): { chosen: EncodedPair; rejected: EncodedPair } {
  return {
    chosen: encodePair(tok, row.i_chosen, row.r_chosen, { ...opts, pairedResponse: row.r_reject }),
    rejected: encodePair(tok, row.i_reject, row.r_reject, { ...opts, pairedResponse: row.r_chosen }),
  };
}
