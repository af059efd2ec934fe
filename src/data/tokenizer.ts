/**
 * Tokenizers for Orchard, backed by transformers.js (`@huggingface/transformers`).
 *
 * One small interface (`Tokenizer`) that the rest of the project uses; nothing else touches
 * transformers.js's tokenizer classes. Runs in a Web Worker and in Node: the only Node-specific
 * code (reading a folder with node:fs) lives in ./tokenizer-node.ts, imported lazily.
 *
 * Special-token rules (the same rule for every tokenizer, read from tokenizer_config.json):
 * - `encode` never adds special tokens (add_special_tokens: false); sequence.ts adds BOS/EOS itself
 *   so the rule is explicit and identical for every model family.
 * - `bosId` = id of tokenizer_config's `bos_token`, or null when it is unset. GPT-2's config names
 *   `<|endoftext|>` (50256) as bos_token, so GPT-2 sequences start with 50256 even though GPT-2's own
 *   tokenizer never adds it; Llama-style configs name `<s>`/`<|begin_of_text|>`; Qwen2's config has
 *   bos_token null, so Qwen sequences have no BOS (their first token then has no prediction).
 * - `eosId` = id of `eos_token`, or null when unset.
 * - `padId` = id of `pad_token`, else eosId, else 0. Padding is always masked, so its value only
 *   has to be a valid embedding row.
 * - `decode` keeps special tokens and does not "clean up tokenization spaces", so
 *   decode(encode(x)) === x for byte-level BPE tokenizers such as GPT-2's.
 */
import * as transformers from '@huggingface/transformers';
import { PreTrainedTokenizer } from '@huggingface/transformers';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Tokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number;
  readonly vocabSize: number;
  /** The tokenizer's Jinja chat template (tokenizer_config.json `chat_template`), or null. */
  readonly chatTemplate: string | null;
  readonly name: string;
  /** Text of the special tokens (e.g. '<|endoftext|>'), to strip a BOS a chat template writes itself. */
  readonly bosToken?: string | null;
  /** Renders messages with the tokenizer's chat template (throws when it has none). */
  applyChatTemplate?(messages: ChatMessage[], opts: { addGenerationPrompt: boolean }): string;
}

export type TokenizerSource =
  | { dir: string }
  | {
      files: { tokenizerJson: unknown; tokenizerConfig: unknown };
      name?: string;
    }
  | { repo: string; revision?: string };

/** Loads a tokenizer from a local folder (Node only), from parsed JSON files, or from the Hub. */
export async function loadTokenizer(source: TokenizerSource): Promise<Tokenizer> {
  if ('files' in source) {
    const name = source.name ?? nameFromConfig(source.files.tokenizerConfig) ?? 'tokenizer';
    return tokenizerFromJson(source.files.tokenizerJson, source.files.tokenizerConfig, name);
  }
  if ('dir' in source) {
    const { readTokenizerDir } = await import('./tokenizer-node.ts');
    const files = await readTokenizerDir(source.dir);
    return tokenizerFromJson(files.tokenizerJson, files.tokenizerConfig, files.name);
  }
  const pretrained = await transformers.AutoTokenizer.from_pretrained(source.repo, {
    revision: source.revision ?? 'main',
  });
  return wrap(pretrained, pretrained._tokenizerConfig ?? {}, source.repo);
}

/** Builds a tokenizer from already-parsed tokenizer.json and tokenizer_config.json (browser and Node). */
export function tokenizerFromJson(tokenizerJson: unknown, tokenizerConfig: unknown, name: string): Tokenizer {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
    throw new Error(
      `tokenizer "${name}": tokenizer.json has no "model" object; is this a Hugging Face tokenizer.json?`,
    );
  }
  checkModelJson(tokenizerJson.model, name);
  const config = isObject(tokenizerConfig) ? tokenizerConfig : {};
  const Cls = tokenizerClass(config.tokenizer_class);
  let tok: PreTrainedTokenizer;
  try {
    tok = new Cls(tokenizerJson, config);
  } catch (err) {
    throw new Error(`tokenizer "${name}": transformers.js cannot read this tokenizer.json (${(err as Error).message})`);
  }
  const wrapped = wrap(tok, config, name);
  if (wrapped.vocabSize === 0)
    throw new Error(`tokenizer "${name}": the vocabulary is empty; tokenizer.json is broken`);
  if (wrapped.encode('a').length === 0) {
    throw new Error(`tokenizer "${name}" encodes the text "a" to no tokens at all; tokenizer.json is broken`);
  }
  return wrapped;
}

/**
 * The parts of tokenizer.json's "model" that transformers.js would otherwise accept silently (an
 * empty or mistyped vocabulary encodes everything to []) or fail on with a bare TypeError.
 */
function checkModelJson(model: Record<string, unknown>, name: string): void {
  const where = `tokenizer "${name}": tokenizer.json model`;
  const { vocab, merges } = model;
  if (model.type === 'Unigram') {
    if (!Array.isArray(vocab) || vocab.length === 0) {
      throw new Error(`${where}.vocab must be a non-empty list of [piece, score] (model.type is Unigram)`);
    }
    return;
  }
  if (!isObject(vocab) || Object.keys(vocab).length === 0) {
    const got = Array.isArray(vocab) ? 'a list' : isObject(vocab) ? 'empty' : JSON.stringify(vocab ?? null);
    throw new Error(`${where}.vocab must be a non-empty object {token: id}; it is ${got}`);
  }
  if (merges === undefined) return;
  if (!Array.isArray(merges)) {
    throw new Error(`${where}.merges must be a list of merges ("a b" or ["a", "b"]); it is ${typeName(merges)}`);
  }
  merges.forEach((m, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((p) => typeof p === 'string' && p !== '')) {
      throw new Error(
        `${where}.merges[${i}] is ${JSON.stringify(m)?.slice(0, 80)}; each merge must be "a b" (two tokens and one space) or ["a", "b"]`,
      );
    }
  });
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  return Array.isArray(x) ? 'a list' : typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

type TokenizerCtor = new (json: unknown, config: unknown) => PreTrainedTokenizer;

/** The transformers.js subclass named by tokenizer_class (e.g. GPT2Tokenizer), else the base class. */
function tokenizerClass(className: unknown): TokenizerCtor {
  if (typeof className === 'string') {
    const exported = (transformers as unknown as Record<string, unknown>)[className.replace(/Fast$/, '')];
    if (typeof exported === 'function' && exported.prototype instanceof PreTrainedTokenizer) {
      return exported as TokenizerCtor;
    }
  }
  return PreTrainedTokenizer as unknown as TokenizerCtor;
}

function wrap(tok: PreTrainedTokenizer, config: Record<string, unknown>, name: string): Tokenizer {
  const bosToken = specialTokenText(config.bos_token);
  const eosToken = specialTokenText(config.eos_token);
  const padToken = specialTokenText(config.pad_token);
  const idOf = (token: string | null): number | null => {
    if (token === null) return null;
    const id = tok.get_vocab().get(token);
    return id === undefined ? null : id;
  };
  const bosId = idOf(bosToken);
  const eosId = idOf(eosToken);
  const padId = idOf(padToken) ?? eosId ?? 0;
  const vocabSize = vocabSizeOf(tok);
  const chatTemplate = chatTemplateOf(config.chat_template);
  return {
    name,
    bosId,
    eosId,
    padId,
    vocabSize,
    chatTemplate,
    bosToken: bosId === null ? null : bosToken,
    encode: (text) => tok.encode(text, { add_special_tokens: false }),
    decode: (ids) =>
      ids.length === 0
        ? ''
        : tok.decode(ids, {
            skip_special_tokens: false,
            clean_up_tokenization_spaces: false,
          }),
    applyChatTemplate(messages, opts) {
      if (chatTemplate === null) {
        throw new Error(`tokenizer "${name}" has no chat_template; use the paper's template or a custom one`);
      }
      return tok.apply_chat_template(messages, {
        tokenize: false,
        add_generation_prompt: opts.addGenerationPrompt,
        chat_template: chatTemplate,
      }) as string;
    },
  };
}

/** Size of the id space: the largest id + 1 over the vocabulary and added tokens. */
function vocabSizeOf(tok: PreTrainedTokenizer): number {
  let max = -1;
  for (const id of tok.get_vocab().values()) if (id > max) max = id;
  return max + 1;
}

/** tokenizer_config.json writes special tokens as a string or as an AddedToken object {content}. */
function specialTokenText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return null;
}

/** chat_template is a string, or a list of {name, template} where "default" is the one to use. */
function chatTemplateOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.filter(isObject);
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    if (chosen && typeof chosen.template === 'string') return chosen.template;
  }
  return null;
}

function nameFromConfig(config: unknown): string | null {
  if (isObject(config) && typeof config.name_or_path === 'string') return config.name_or_path;
  return null;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
