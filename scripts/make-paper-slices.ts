/**
 * Writes the small slices of the JPO paper's data that the lab bundles (public/data/paper/), so a
 * class can train and evaluate on real paper data offline. Source: the files of the paper's code
 * release (github.com/Hritikbansal/jpo, MIT License), passed as the first argument (a folder with
 * anthropic_helpful/ and tldr/). The slices are the first rows of each file, unchanged, in order.
 *
 *   npx tsx scripts/make-paper-slices.ts PATH/TO/jpo-paper
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SLICES = [
  { file: 'anthropic_helpful/val_conditional_pref.jsonl', rows: 200 },
  { file: 'anthropic_helpful/val_sft.jsonl', rows: 200 },
  { file: 'anthropic_helpful/test.jsonl', rows: 200 },
  { file: 'tldr/test.json', rows: 100 },
] as const;

/** The whole bundle stays small enough to ship with the app. */
const MAX_TOTAL_BYTES = 2 * 1024 * 1024;

const source = process.argv[2];
if (!source) {
  console.error('usage: npx tsx scripts/make-paper-slices.ts PATH/TO/jpo-paper');
  process.exit(2);
}
const out = join(import.meta.dirname, '..', 'public', 'data', 'paper');
let total = 0;
for (const { file, rows } of SLICES) {
  const lines = readFileSync(join(source, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length < rows) throw new Error(`${file}: has ${lines.length} rows, the slice needs ${rows}`);
  for (const [i, line] of lines.slice(0, rows).entries()) {
    try {
      JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not a JSON object (${(err as Error).message})`);
    }
  }
  const target = join(out, file);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${lines.slice(0, rows).join('\n')}\n`);
  total += statSync(target).size;
  console.log(`${file}: ${rows} rows, ${statSync(target).size} bytes`);
}
if (total > MAX_TOTAL_BYTES) throw new Error(`the slices take ${total} bytes, over the ${MAX_TOTAL_BYTES}-byte budget`);
console.log(`total ${total} bytes`);
