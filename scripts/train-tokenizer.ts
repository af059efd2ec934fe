/**
 * Trains the byte-level BPE tokenizer of the bundled tiny model (public/models/orchard-tiny) on
 * Apples & Oranges text: every instruction the task generator can produce, in the paper's prompt
 * template, with a reference answer and every flawed answer. Deterministic: same seed and task
 * generator, same tokenizer.json byte for byte.
 *
 *   npx tsx scripts/train-tokenizer.ts [--out DIR] [--seed N]
 *
 * (`npm run make:tiny-model` runs this as its first step.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toTokenizerConfig, toTokenizerJson, trainByteLevelBpe } from '../src/data/bpe-train.ts';
import { PAPER_TEMPLATE, responseText } from '../src/data/sequence.ts';
import { allSpecs, flawedAnswers, referenceAnswer, renderInstruction } from '../src/data/tasks/apples.ts';
import { Rng } from '../src/engine/random.ts';

export const TINY_SPECIAL_TOKEN = '<|endoftext|>';
/** Asked-for size; the task's text runs out of pairs seen twice before it (the script reports the real size). */
export const TINY_VOCAB_TARGET = 1024;
export const TINY_MAX_LENGTH = 128;

/** The paper template with "{instruction}" filled in (sequence.ts rule 1). */
function promptText(instruction: string): string {
  return PAPER_TEMPLATE.split('{instruction}').join(instruction);
}

/** The training text: one string per (instruction, answer), prompt and answer joined as sequence.ts joins them. */
export function tokenizerCorpus(seed: number): string[] {
  const rng = new Rng(seed);
  const corpus: string[] = [];
  for (const spec of allSpecs()) {
    const prompt = promptText(renderInstruction(spec));
    const answers = [referenceAnswer(spec, rng), ...flawedAnswers(spec, rng).map((f) => f.response)];
    for (const a of answers) corpus.push(prompt + responseText(prompt, a));
  }
  return corpus;
}

export function trainTinyTokenizer(seed: number): {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  vocabSize: number;
} {
  const bpe = trainByteLevelBpe(tokenizerCorpus(seed), {
    vocabSize: TINY_VOCAB_TARGET,
    specialTokens: [TINY_SPECIAL_TOKEN],
  });
  return {
    tokenizerJson: toTokenizerJson(bpe),
    tokenizerConfig: toTokenizerConfig(bpe, TINY_SPECIAL_TOKEN, TINY_MAX_LENGTH),
    vocabSize: bpe.vocab.size,
  };
}

export function writeTinyTokenizer(dir: string, seed: number): number {
  const t = trainTinyTokenizer(seed);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), `${JSON.stringify(t.tokenizerJson, null, 2)}\n`);
  writeFileSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify(t.tokenizerConfig, null, 2)}\n`);
  return t.vocabSize;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const out = arg(argv, '--out') ?? 'public/models/orchard-tiny';
  const seed = Number(arg(argv, '--seed') ?? 1);
  const vocab = writeTinyTokenizer(out, seed);
  console.log(`tokenizer: ${vocab} tokens -> ${out}/tokenizer.json, tokenizer_config.json`);
}
