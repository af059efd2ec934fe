/**
 * How a tiny model answers held-out Apples & Oranges instructions: the oracle's mean score of greedy
 * and sampled answers, the share that meets every constraint, and the share of greedy answers that
 * repeat an item (what made orchard-tiny's answers read badly: "Horse, Horse, Horse").
 */
import { formatPrompt, PAPER_TEMPLATE } from '../src/data/sequence.ts';
import { type ListSpec, parseList, renderInstruction, scoreSpec } from '../src/data/tasks/apples.ts';
import type { Tokenizer } from '../src/data/tokenizer.ts';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { Generator } from '../src/engine/generate.ts';
import type { LoadedModel } from '../src/engine/models/index.ts';
import { ParamStore } from '../src/engine/params.ts';

export interface OracleEval {
  /** Mean oracle score. */
  greedy: number;
  sampled: number;
  /** Share of answers with every constraint met (score 1). */
  perfectGreedy: number;
  perfectSampled: number;
  /** Share of greedy answers that name some item twice (case-insensitive). */
  duplicatesGreedy: number;
  /** Share of greedy answers with as many items as asked (instructions with a count). */
  countRightGreedy: number;
  /** Every greedy answer, in the order of the instructions. */
  greedyAnswers: string[];
  examples: { instruction: string; greedy: string; sampled: string }[];
}

/** Mean oracle score of greedy and sampled (temperature 0.7) answers to the given instructions. */
export async function evaluateTiny(
  model: LoadedModel,
  tokenizer: Tokenizer,
  specs: readonly ListSpec[],
  seed: number,
  batchSize = 16,
): Promise<OracleEval> {
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  for (const [name, w] of model.weights) store.add(name, model.shapes.get(name) as number[], w, false);
  const gen = new Generator(model, store);
  const totals = { greedy: 0, sampled: 0, perfectGreedy: 0, perfectSampled: 0, duplicates: 0, countRight: 0 };
  let counted = 0;
  const examples: OracleEval['examples'] = [];
  const greedyAnswers: string[] = [];
  for (let i = 0; i < specs.length; i += batchSize) {
    const batch = specs.slice(i, i + batchSize);
    const prompts = batch.map((s) => [
      tokenizer.bosId as number,
      ...tokenizer.encode(formatPrompt(tokenizer, renderInstruction(s), PAPER_TEMPLATE)),
    ]);
    const common = { maxNewTokens: 32, stopIds: [tokenizer.eosId], padId: tokenizer.padId };
    const greedy = await gen.generate(prompts, common);
    const sampled = await gen.generate(prompts, { ...common, temperature: 0.7, seed: seed + i });
    batch.forEach((spec, b) => {
      const text = (ids: number[]) => tokenizer.decode(ids.filter((id) => id !== tokenizer.eosId)).trim();
      const g = text(greedy.tokens[b]);
      const s = text(sampled.tokens[b]);
      greedyAnswers.push(g);
      const sg = scoreSpec(spec, g).score;
      const ss = scoreSpec(spec, s).score;
      totals.greedy += sg;
      totals.sampled += ss;
      totals.perfectGreedy += sg === 1 ? 1 : 0;
      totals.perfectSampled += ss === 1 ? 1 : 0;
      totals.duplicates += repeatsAnItem(g) ? 1 : 0;
      if (spec.count !== null) {
        counted++;
        totals.countRight += parseList(g).length === spec.count ? 1 : 0;
      }
      if (examples.length < 6) examples.push({ instruction: renderInstruction(spec), greedy: g, sampled: s });
    });
  }
  gen.dispose();
  const n = specs.length;
  return {
    greedy: totals.greedy / n,
    sampled: totals.sampled / n,
    perfectGreedy: totals.perfectGreedy / n,
    perfectSampled: totals.perfectSampled / n,
    duplicatesGreedy: totals.duplicates / n,
    countRightGreedy: counted === 0 ? Number.NaN : totals.countRight / counted,
    greedyAnswers,
    examples,
  };
}

/** Whether an answer lists some item twice (items as the oracle splits them, case-insensitive). */
export function repeatsAnItem(response: string): boolean {
  const items = parseList(response).map((x) => x.toLowerCase());
  return new Set(items).size !== items.length;
}
