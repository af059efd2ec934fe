/**
 * What an imported file holds: row counts, conditional vs joint, length statistics, duplicates,
 * empty fields and (with a tokenizer and limits) how many sides truncation would cut.
 *
 * Lengths are measured per side (a pair has two: chosen and rejected; a candidate has one):
 * - with a tokenizer, in tokens: prompt = the formatted prompt (template applied, no BOS);
 *   response = the response as appended to the prompt (sequence.ts rule 2), without EOS;
 * - without, in characters (Unicode code points) of the raw instruction and response.
 * Percentiles use the nearest-rank method: p-th = sorted[ceil(p/100 * n) - 1].
 */
import type { ImportResult } from './import.ts';
import { encodePair, formatPrompt, PAPER_TEMPLATE, responseText } from './sequence.ts';
import type { Tokenizer } from './tokenizer.ts';
import { isConditional } from './types.ts';

export interface LengthStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export interface DataSummary {
  container: string;
  format: string | null;
  bytes: number;
  pairs: number;
  candidates: number;
  problems: number;
  /** Rows read with a warning (invalid UTF-8, a repeated key): see ImportResult.warnings. */
  warnings: number;
  conditional: number;
  joint: number;
  distinctInstructions: number;
  unit: 'tokens' | 'characters';
  promptLength: LengthStats | null;
  responseLength: LengthStats | null;
  /** Rows identical to an earlier row (all fields), not counting the first occurrence. */
  duplicates: number;
  /** Pairs whose chosen and rejected sides are the same text. */
  identicalSides: number;
  /** Rows with an empty (or whitespace-only) value, per field. */
  emptyFields: Record<string, number>;
  /** Present when a tokenizer and a limit were given: sides that encodePair would truncate. */
  truncation?: { maxLength?: number; maxPromptLength?: number; truncatedSides: number; sides: number };
}

export interface SummaryOptions {
  tokenizer?: Tokenizer;
  template?: string;
  maxLength?: number;
  maxPromptLength?: number;
}

export function summarize(result: ImportResult, opts: SummaryOptions = {}): DataSummary {
  const sides: { instruction: string; response: string }[] = [];
  const emptyFields: Record<string, number> = {};
  const seen = new Set<string>();
  let duplicates = 0;
  let identicalSides = 0;
  let conditional = 0;
  const instructions = new Set<string>();
  const countEmpty = (field: string, value: string) => {
    if (value.trim() === '') emptyFields[field] = (emptyFields[field] ?? 0) + 1;
  };
  const countDuplicate = (key: string) => {
    if (seen.has(key)) duplicates++;
    else seen.add(key);
  };

  for (const row of result.pairs) {
    if (isConditional(row)) conditional++;
    if (row.i_chosen === row.i_reject && row.r_chosen === row.r_reject) identicalSides++;
    for (const [field, value] of Object.entries(row)) countEmpty(field, value);
    countDuplicate(JSON.stringify([row.i_chosen, row.r_chosen, row.i_reject, row.r_reject]));
    instructions.add(row.i_chosen);
    instructions.add(row.i_reject);
    sides.push(
      { instruction: row.i_chosen, response: row.r_chosen },
      { instruction: row.i_reject, response: row.r_reject },
    );
  }
  for (const c of result.candidates) {
    countEmpty('instruction', c.instruction);
    countEmpty('response', c.response);
    countDuplicate(JSON.stringify([c.instruction, c.response]));
    instructions.add(c.instruction);
    sides.push(c);
  }

  const tok = opts.tokenizer;
  const template = opts.template ?? PAPER_TEMPLATE;
  const promptLengths: number[] = [];
  const responseLengths: number[] = [];
  const cache = new Map<string, number>();
  const tokens = (text: string) => {
    let n = cache.get(text);
    if (n === undefined && tok) {
      n = tok.encode(text).length;
      cache.set(text, n);
    }
    return n ?? 0;
  };
  for (const s of sides) {
    if (tok) {
      const prompt = formatPrompt(tok, s.instruction, template);
      promptLengths.push(tokens(prompt));
      responseLengths.push(tokens(responseText(prompt, s.response)));
    } else {
      promptLengths.push(codePoints(s.instruction));
      responseLengths.push(codePoints(s.response));
    }
  }

  const summary: DataSummary = {
    container: result.container,
    format: result.format,
    bytes: result.bytesRead,
    pairs: result.pairs.length,
    candidates: result.candidates.length,
    problems: result.problems.length,
    warnings: result.warnings.length,
    conditional,
    joint: result.pairs.length - conditional,
    distinctInstructions: instructions.size,
    unit: tok ? 'tokens' : 'characters',
    promptLength: lengthStats(promptLengths),
    responseLength: lengthStats(responseLengths),
    duplicates,
    identicalSides,
    emptyFields,
  };
  if (tok && (opts.maxLength !== undefined || opts.maxPromptLength !== undefined)) {
    let truncatedSides = 0;
    for (const s of sides) {
      const e = encodePair(tok, s.instruction, s.response, {
        mode: 'joint',
        template,
        maxLength: opts.maxLength,
        maxPromptLength: opts.maxPromptLength,
      });
      if (e.truncated) truncatedSides++;
    }
    summary.truncation = {
      maxLength: opts.maxLength,
      maxPromptLength: opts.maxPromptLength,
      truncatedSides,
      sides: sides.length,
    };
  }
  return summary;
}

/** min/mean/nearest-rank p50 and p95/max; null for no values. */
export function lengthStats(values: number[]): LengthStats | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted[0],
    mean: sum / sorted.length,
    p50: rank(50),
    p95: rank(95),
    max: sorted[sorted.length - 1],
  };
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
