/**
 * Trains a small byte-level BPE tokenizer (GPT-2's scheme) and writes it as a Hugging Face
 * `tokenizer.json` + `tokenizer_config.json` pair that transformers.js (src/data/tokenizer.ts) loads.
 *
 * Byte-level means every string round-trips: text is split with GPT-2's pre-tokenizer regex, each
 * piece's UTF-8 bytes are mapped to printable characters (bytes_to_unicode), and the 256 byte
 * characters are always in the vocabulary. Training then repeatedly merges the most frequent
 * adjacent pair. Ties are broken by the pair's text so the result depends on the corpus only (not
 * on Map iteration order or the platform): same corpus, same tokenizer, byte for byte.
 *
 * Id layout: 0..255 are the bytes in byte order, then one id per merge in merge order, then the
 * special tokens (GPT-2 puts `<|endoftext|>` last too).
 */

/** GPT-2's pre-tokenizer regex, exactly as transformers.js's ByteLevel pre-tokenizer uses it. */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible byte -> printable character table (bytes_to_unicode). */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table: string[] = new Array(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) {
      table[b] = String.fromCharCode(256 + extra);
      extra++;
    }
  }
  return table;
}

const BYTE_CHARS = bytesToUnicode();
const utf8 = new TextEncoder();

/** Splits text into byte-level words: each word is the list of its byte characters. */
export function byteLevelWords(text: string): string[][] {
  const pieces = text.match(GPT2_SPLIT) ?? [];
  return pieces.map((p) => Array.from(utf8.encode(p), (b) => BYTE_CHARS[b]));
}

export interface BpeTrainOptions {
  /** Total vocabulary including the 256 bytes and the special tokens. */
  vocabSize: number;
  /** Special tokens appended after the merges, e.g. ['<|endoftext|>']. */
  specialTokens: readonly string[];
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
}

export interface TrainedBpe {
  /** Token text (byte characters) -> id. */
  vocab: Map<string, number>;
  merges: [string, string][];
  specialTokens: { content: string; id: number }[];
}

/**
 * Learns merges until the vocabulary reaches vocabSize or no pair is frequent enough (a small
 * corpus can run out of pairs: then the vocabulary is smaller than asked).
 */
export function trainByteLevelBpe(corpus: Iterable<string>, opts: BpeTrainOptions): TrainedBpe {
  const minFrequency = opts.minFrequency ?? 2;
  const maxMerges = opts.vocabSize - 256 - opts.specialTokens.length;
  if (maxMerges < 0) {
    throw new Error(
      `vocabSize ${opts.vocabSize} is below the 256 byte tokens + ${opts.specialTokens.length} special tokens`,
    );
  }
  const wordCounts = new Map<string, number>();
  for (const text of corpus) {
    for (const w of byteLevelWords(text)) {
      const key = w.join('\u0000');
      wordCounts.set(key, (wordCounts.get(key) ?? 0) + 1);
    }
  }
  // Sorted so the merge loop visits words in a corpus-independent order.
  const words = [...wordCounts.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key, count]) => ({ symbols: key.split('\u0000'), count }));

  const vocab = new Map<string, number>();
  for (let b = 0; b < 256; b++) vocab.set(BYTE_CHARS[b], b);
  const merges: [string, string][] = [];

  while (merges.length < maxMerges) {
    const best = mostFrequentPair(words, vocab);
    if (best === null || best.count < minFrequency) break;
    const [left, right] = best.pair;
    const merged = left + right;
    merges.push([left, right]);
    vocab.set(merged, vocab.size);
    for (const w of words) w.symbols = mergeInWord(w.symbols, left, right, merged);
  }

  const specialTokens = opts.specialTokens.map((content) => {
    const id = vocab.size;
    vocab.set(content, id);
    return { content, id };
  });
  return { vocab, merges, specialTokens };
}

/**
 * The most frequent adjacent pair whose merged text is not already a token (that can happen when
 * two different splits spell the same text; merging again would add a duplicate id). Ties go to
 * the lexicographically smallest pair.
 */
function mostFrequentPair(
  words: { symbols: string[]; count: number }[],
  vocab: Map<string, number>,
): { pair: [string, string]; count: number } | null {
  const counts = new Map<string, number>();
  for (const w of words) {
    for (let i = 0; i + 1 < w.symbols.length; i++) {
      const key = `${w.symbols[i]}\u0000${w.symbols[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + w.count);
    }
  }
  let bestKey: string | null = null;
  let bestCount = 0;
  for (const [key, count] of counts) {
    if (vocab.has(key.replace('\u0000', ''))) continue;
    if (count > bestCount || (count === bestCount && bestKey !== null && key < bestKey)) {
      bestKey = key;
      bestCount = count;
    }
  }
  if (bestKey === null) return null;
  const [left, right] = bestKey.split('\u0000');
  return { pair: [left, right], count: bestCount };
}

function mergeInWord(symbols: string[], left: string, right: string, merged: string): string[] {
  if (symbols.length < 2) return symbols;
  const out: string[] = [];
  let i = 0;
  while (i < symbols.length) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i += 2;
    } else {
      out.push(symbols[i]);
      i += 1;
    }
  }
  return out;
}

/** The Hugging Face tokenizer.json object (GPT-2's layout: ByteLevel pre-tokenizer and decoder). */
export function toTokenizerJson(bpe: TrainedBpe): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  for (const [token, id] of bpe.vocab) vocab[token] = id;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: bpe.specialTokens.map(({ content, id }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: bpe.merges,
    },
  };
}

/**
 * tokenizer_config.json naming one special token as BOS, EOS, pad and unk (GPT-2's convention for
 * `<|endoftext|>`, plus an explicit pad so batching code need not guess).
 */
export function toTokenizerConfig(bpe: TrainedBpe, eosToken: string, modelMaxLength: number): Record<string, unknown> {
  const added: Record<string, unknown> = {};
  for (const { content, id } of bpe.specialTokens) {
    added[String(id)] = { content, lstrip: false, normalized: true, rstrip: false, single_word: false, special: true };
  }
  return {
    add_prefix_space: false,
    added_tokens_decoder: added,
    bos_token: eosToken,
    eos_token: eosToken,
    pad_token: eosToken,
    unk_token: eosToken,
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    tokenizer_class: 'GPT2Tokenizer',
  };
}
