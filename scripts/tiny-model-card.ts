/** The model card (README.md) of a bundled tiny model: what it is for, how it was made, how it scores. */
import type { TinyModel } from './make-tiny-model.ts';
import type { OracleEval } from './tiny-model-eval.ts';
import type { TinyRecipe } from './tiny-model-recipe.ts';

/** The model card (README.md): what the model is for, how it was made, and how it scores. */
export function modelCard(r: TinyRecipe, m: TinyModel, ev: OracleEval | null): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const mb = (m.safetensors.length / 1024 / 1024).toFixed(1);
  const score = ev
    ? [
        `Oracle (\`scoreSpec\` in src/data/tasks/apples.ts) mean score on the ${m.test.length} held-out instructions,`,
        'at most 32 new tokens:',
        '',
        `- greedy: **${ev.greedy.toFixed(3)}** (${pct(ev.perfectGreedy)} of answers meet every constraint)`,
        `- sampled, temperature 0.7: **${ev.sampled.toFixed(3)}** (${pct(ev.perfectSampled)} perfect)`,
        `- greedy answers that repeat an item: ${pct(ev.duplicatesGreedy)}; greedy answers with the asked count: ${pct(ev.countRightGreedy)}`,
        '',
        'Examples (held-out instructions):',
        '',
        ...ev.examples.flatMap((e) => [`- *${e.instruction}*`, `  - greedy: ${e.greedy}`, `  - sampled: ${e.sampled}`]),
      ].join('\n')
    : 'Not evaluated (made with --no-eval).';
  const habit =
    r.itemPreference === null
      ? `with plausible lists and a habit: more often than not it lists **one item too many**. It also makes the other
mistakes of the task now and then (a repeated item, the excluded item, an item of another category...). The habit
leaves preference optimization room to improve: the model's own samples hold both the habit and correct
answers, and those pairs are what DPO and JPO learn from. It is a classroom model, not a language model:
outside this task it produces nonsense.`
      : `with clean lists (distinct items of the asked category, favourite items first, as larger models have favourites)
and a habit: more often than not it lists **one item too many**; now and then it names the excluded item, stops
one item short or forgets the alphabetical order. The habit leaves preference optimization room
to improve: the model's own samples hold both the habit and correct answers, and those pairs are what DPO and JPO
learn from. It is a classroom model, not a language model: outside this task it produces nonsense.`;
  const split = `instructions of the task's training split (${Math.round((1 - r.testFraction) * 100)}% of all instructions, split
  with seed ${r.seed}; the other ${Math.round(r.testFraction * 100)}% are held out)`;
  const data =
    r.itemPreference === null
      ? `- **Data**: ${split}. Each row pairs an instruction with a correct
  answer (${Math.round(r.correctFraction * 100)}% of rows), with a correct answer plus one item too many
  (${Math.round(r.extraItemFraction * 100)}%: the habit), or with one of its flawed answers (the rest; one constraint
  broken each).`
      : `- **Data**: ${split}. Every answer is a clean list: distinct items of
  the category, each drawn without replacement with weight ${r.itemPreference}^k for the k-th item of the
  category's word list, listed ${r.itemOrder === 'lexicon' ? "in the word list's order" : 'in the order drawn'} (alphabetically when asked).
  Rows: the asked number of items and every constraint met (${pct(r.correctFraction)}), one item too many
  (${pct(r.extraItemFraction)}: the habit), the excluded item named (${pct(r.cleanFlaws.excludedItem)}), one item short
  (${pct(r.cleanFlaws.oneShort)}), not sorted when asked (${pct(r.cleanFlaws.unsorted)}); rows whose flaw does not apply
  to their instruction are correct.`;
  return `---
library_name: orchard
tags: [gpt2, tiny, apples-and-oranges, dpo, jpo]
---

# ${r.id}

A ${(m.params / 1e6).toFixed(2)}M-parameter GPT-2 (${r.nLayer} layers, ${r.nHead} heads, n_embd ${r.nEmbd}, context ${r.nPositions},
vocabulary ${m.model.config.vocabSize}; ${mb} MB of f32 weights) trained from scratch by Orchard's own engine, so the
lab has a model that loads in a second and trains DPO/JPO live in the browser. It answers Apples & Oranges list
instructions in the paper's template

    ### Instructions: Create a list of four fruits other than Apple

    ### Response: Orange, Kiwi, Banana, Grape<|endoftext|>

${habit}

## How it was made

\`npm run make:tiny-model\` (scripts/make-tiny-model.ts), deterministic from **seed ${r.seed}**: the same script
and seed give the same bytes.

- **Tokenizer**: byte-level BPE (GPT-2's scheme: ByteLevel pre-tokenizer and decoder, so any text round-trips),
  trained by scripts/train-tokenizer.ts on every instruction of the task generator in the paper template with a
  reference answer and every flawed answer. \`<|endoftext|>\` (id ${m.tokenizer.eosId}) is BOS, EOS and padding.
- **Init**: as transformers initializes GPT-2 (N(0, 0.02) weights, N(0, 0.02/sqrt(2 n_layer)) residual
  projections, zero biases, unit LayerNorms), from the seeded generator.
${data}
- **SFT**: ${r.steps} AdamW updates of ${r.batchSize} rows (${r.steps * r.batchSize} rows, padded to ${r.seqLen}
  tokens), token-mean NLL over every token after BOS (prompt and answer: JPO scores both), learning rate ${r.lr}
  with ${r.warmupSteps} warm-up steps and cosine decay, weight decay ${r.weightDecay}, gradient clipping 1, on the
  CPU backend (a few minutes on a 2-core machine). Final loss (moving average): ${m.finalLoss.toFixed(3)}.

## Evaluation

${score}

## Files

Hugging Face layout: \`config.json\` (GPT2LMHeadModel, tied embeddings), \`model.safetensors\` (F32),
\`tokenizer.json\`, \`tokenizer_config.json\`. transformers and transformers.js load them as they are.
`;
}
