/**
 * Writes a GPT-2-shaped model folder with random weights (GPT-2's initialisation: N(0, 0.02),
 * LayerNorm weights 1, biases 0) and a tokenizer copied from a folder: "tiny" for tests, "124m" for
 * GPT-2 small's exact shapes (timing and memory; the weights are random, not OpenAI's).
 *
 *   npx tsx scripts/make-random-gpt2.ts --out DIR --tokenizer DIR [--size tiny|124m] [--seed N]
 *
 * The tokenizer folder holds tokenizer.json (+ tokenizer_config.json), e.g. ../shared/data/tokenizers/gpt2.
 * Deterministic: same size and seed, same bytes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/engine/models/config.ts';
import { randomModel } from '../src/engine/models/init.ts';
import { modelFiles } from '../src/engine/models/save.ts';
import { Rng } from '../src/engine/random.ts';

export const GPT2_SIZES = {
  tiny: { n_layer: 2, n_head: 2, n_embd: 32, n_positions: 512 },
  '124m': { n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024 },
} as const;
export type Gpt2Size = keyof typeof GPT2_SIZES;

export function writeRandomGpt2(out: string, o: { tokenizerDir: string; size?: Gpt2Size; seed?: number }): void {
  const raw = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: 50257,
    n_ctx: GPT2_SIZES[o.size ?? 'tiny'].n_positions,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
    bos_token_id: 50256,
    eos_token_id: 50256,
    ...GPT2_SIZES[o.size ?? 'tiny'],
  };
  const model = randomModel(`random-gpt2-${o.size ?? 'tiny'}`, parseConfig(raw), new Rng(o.seed ?? 1));
  const files = modelFiles(model);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), files['config.json']);
  writeFileSync(join(out, 'model.safetensors'), files['model.safetensors']);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    const from = join(o.tokenizerDir, f);
    if (existsSync(from)) writeFileSync(join(out, f), readFileSync(from));
    else if (f === 'tokenizer.json')
      throw new Error(`${o.tokenizerDir}: no tokenizer.json (a fast-tokenizer folder is needed)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      tokenizer: { type: 'string' },
      size: { type: 'string', default: 'tiny' },
      seed: { type: 'string', default: '1' },
    },
  });
  if (!values.out || !values.tokenizer || !(values.size in GPT2_SIZES)) {
    console.error('usage: npx tsx scripts/make-random-gpt2.ts --out DIR --tokenizer DIR [--size tiny|124m] [--seed N]');
    process.exit(2);
  }
  writeRandomGpt2(values.out, {
    tokenizerDir: values.tokenizer,
    size: values.size as Gpt2Size,
    seed: Number(values.seed),
  });
  console.log(`wrote ${values.out}`);
}
