/**
 * Row schemas: turns one parsed record into a preference row or a rated candidate, or explains why not.
 *
 * - paper: {i_chosen, r_chosen, i_reject, r_reject}, all strings.
 * - trl: {prompt, chosen, rejected}, plain strings (a conditional row), or chat-message lists
 *   [{role, content}]. With messages, the response is the last message of chosen/rejected (it must
 *   be an assistant turn) and the instruction is the prompt's messages rendered by renderTurns; TRL's
 *   "implicit prompt" rows ({chosen, rejected} lists without prompt) take each side's messages
 *   before the last as its prompt.
 * - hh: Anthropic-HH transcripts {chosen, rejected} ("\n\nHuman: ...\n\nAssistant: ..."): the prompt
 *   is the longest common prefix ending at the last "\n\nAssistant:"; the responses are the rest.
 * - rated: {instruction, response, score?} candidates for pairing ("gold_response" is accepted for
 *   "response", as in the paper's test files; score may be a number or a numeric string).
 *
 * renderTurns: a single user turn (optionally after a system message, kept as a first paragraph)
 * gives its text; a multi-turn prompt gives the transcript "Human: ...\n\nAssistant: ...\n\nHuman: ..."
 * so earlier turns are not lost, in the same style as the paper's Anthropic-HH instructions.
 */
import type { PreferenceRow, RatedCandidate } from '../types.ts';

export type SourceFormat = 'paper' | 'trl' | 'hh' | 'rated';
export const SOURCE_FORMATS: readonly SourceFormat[] = ['paper', 'trl', 'hh', 'rated'];

export type MappedRecord = { pair: PreferenceRow } | { candidate: RatedCandidate } | { problem: string };

const HH_ASSISTANT = '\n\nAssistant:';

/** The format a record's fields suggest, or null. */
export function detectFormat(value: unknown): SourceFormat | null {
  if (!isObject(value)) return null;
  const has = (k: string) => k in value;
  if (has('i_chosen') || has('i_reject') || has('r_chosen') || has('r_reject')) return 'paper';
  if (has('prompt') && (has('chosen') || has('rejected'))) return 'trl';
  if (has('chosen') && has('rejected')) return Array.isArray(value.chosen) ? 'trl' : 'hh';
  if (has('instruction') && (has('response') || has('gold_response'))) return 'rated';
  return null;
}

export function describeFields(value: unknown): string {
  if (!isObject(value)) return `a ${typeName(value)}, not an object`;
  return `fields [${Object.keys(value).join(', ')}]`;
}

export function mapRecord(format: SourceFormat, value: unknown): MappedRecord {
  if (!isObject(value)) return { problem: `expected an object with the ${format} fields, got a ${typeName(value)}` };
  try {
    switch (format) {
      case 'paper':
        return { pair: paperRow(value) };
      case 'trl':
        return { pair: trlRow(value) };
      case 'hh':
        return { pair: hhRow(value) };
      case 'rated':
        return { candidate: ratedRow(value) };
    }
  } catch (err) {
    if (err instanceof RowError) return { problem: err.message };
    throw err;
  }
}

class RowError extends Error {}

function paperRow(v: Record<string, unknown>): PreferenceRow {
  return {
    i_chosen: stringField(v, 'i_chosen'),
    r_chosen: stringField(v, 'r_chosen'),
    i_reject: stringField(v, 'i_reject'),
    r_reject: stringField(v, 'r_reject'),
  };
}

function trlRow(v: Record<string, unknown>): PreferenceRow {
  const chosen = requireField(v, 'chosen');
  const rejected = requireField(v, 'rejected');
  const prompt = v.prompt;
  if (prompt === undefined) {
    const c = splitConversation(messagesField(chosen, 'chosen'), 'chosen');
    const r = splitConversation(messagesField(rejected, 'rejected'), 'rejected');
    return { i_chosen: c.instruction, r_chosen: c.response, i_reject: r.instruction, r_reject: r.response };
  }
  const instruction = typeof prompt === 'string' ? prompt : renderTurns(messagesField(prompt, 'prompt'), 'prompt');
  return {
    i_chosen: instruction,
    r_chosen: responseOf(chosen, 'chosen'),
    i_reject: instruction,
    r_reject: responseOf(rejected, 'rejected'),
  };
}

function responseOf(value: unknown, name: string): string {
  if (typeof value === 'string') return value;
  const messages = messagesField(value, name);
  const last = messages[messages.length - 1];
  if (last.role !== 'assistant') {
    throw new RowError(`${name}: the last message must be the assistant's answer, found role "${last.role}"`);
  }
  return last.content;
}

function splitConversation(messages: Message[], name: string): { instruction: string; response: string } {
  if (messages.length < 2) throw new RowError(`${name}: needs the prompt messages and an assistant answer`);
  return { instruction: renderTurns(messages.slice(0, -1), name), response: responseOf(messages, name) };
}

interface Message {
  role: string;
  content: string;
}

function messagesField(value: unknown, name: string): Message[] {
  if (!Array.isArray(value))
    throw new RowError(`field ${name} must be a string or a list of messages, got ${typeName(value)}`);
  if (value.length === 0) throw new RowError(`field ${name} is an empty list of messages`);
  return value.map((m, k) => {
    if (!isObject(m) || typeof m.role !== 'string') {
      throw new RowError(`${name}[${k}] must be a message {role, content}`);
    }
    return { role: m.role, content: messageText(m.content, `${name}[${k}].content`) };
  });
}

/** content is a string, or a list of parts of which the {type: "text", text} ones are joined. */
function messageText(content: unknown, name: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .filter((p): p is Record<string, unknown> => isObject(p) && p.type === 'text' && typeof p.text === 'string')
      .map((p) => p.text as string)
      .join('');
  }
  throw new RowError(`${name} must be a string or a list of text parts, got ${typeName(content)}`);
}

/** See the header: one user turn gives its text, several give a Human/Assistant transcript. */
export function renderTurns(messages: Message[], name: string): string {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const turns = messages.filter((m) => m.role !== 'system');
  if (turns.length === 0) throw new RowError(`${name}: the prompt has no user message`);
  const body =
    turns.length === 1 && turns[0].role === 'user'
      ? turns[0].content
      : turns.map((m) => `${m.role === 'assistant' ? 'Assistant' : 'Human'}: ${m.content}`).join('\n\n');
  return [...system, body].join('\n\n');
}

function hhRow(v: Record<string, unknown>): PreferenceRow {
  const chosen = stringField(v, 'chosen');
  const rejected = stringField(v, 'rejected');
  let common = 0;
  const n = Math.min(chosen.length, rejected.length);
  while (common < n && chosen.charCodeAt(common) === rejected.charCodeAt(common)) common++;
  const cut = chosen.lastIndexOf(HH_ASSISTANT, common - HH_ASSISTANT.length);
  if (cut < 0 || common < HH_ASSISTANT.length) {
    throw new RowError('chosen and rejected share no "\\n\\nAssistant:" turn; is this an Anthropic-HH transcript?');
  }
  const instruction = hhInstruction(chosen.slice(0, cut));
  const end = cut + HH_ASSISTANT.length;
  return {
    i_chosen: instruction,
    r_chosen: chosen.slice(end).trim(),
    i_reject: instruction,
    r_reject: rejected.slice(end).trim(),
  };
}

/** An HH prompt with one Human turn gives its text; longer dialogues keep the transcript. */
function hhInstruction(prompt: string): string {
  const text = prompt.replace(/^\s+/, '');
  const turns = text.split(/\n\n(?=Human:|Assistant:)/);
  if (turns.length === 1 && turns[0].startsWith('Human:')) return turns[0].slice('Human:'.length).trim();
  return text.trim();
}

function ratedRow(v: Record<string, unknown>): RatedCandidate {
  const instruction = stringField(v, 'instruction');
  const response = 'response' in v ? stringField(v, 'response') : stringField(v, 'gold_response');
  let score: number | null = null;
  if (v.score !== undefined && v.score !== null && v.score !== '') {
    score = typeof v.score === 'string' ? Number(v.score) : (v.score as number);
    if (typeof score !== 'number' || !Number.isFinite(score)) {
      throw new RowError(`field score must be a number, got ${JSON.stringify(v.score)}`);
    }
  }
  return { instruction, response, score };
}

function requireField(v: Record<string, unknown>, name: string): unknown {
  if (!(name in v) || v[name] === undefined) throw new RowError(`missing field ${name}`);
  return v[name];
}

function stringField(v: Record<string, unknown>, name: string): string {
  const value = requireField(v, name);
  if (typeof value !== 'string') throw new RowError(`field ${name} must be a string, got ${typeName(value)}`);
  return value;
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'list';
  return typeof x;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
