/**
 * `npm run orchard -- data inspect FILE` and `npm run orchard -- data pairs --task apples ...`.
 */
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { SOURCE_FORMATS, type SourceFormat } from '../../data/formats/schemas.ts';
import { type Container, importPreferences } from '../../data/import.ts';
import { applesOracle } from '../../data/judges/oracle.ts';
import { buildPairs, type PairingCounts, type PairingMode } from '../../data/pairing.ts';
import { type DataSummary, type LengthStats, summarize } from '../../data/summary.ts';
import { appleCandidates } from '../../data/tasks/apples-candidates.ts';
import { loadTokenizer } from '../../data/tokenizer.ts';
import type { ImportProblem } from '../../data/types.ts';

const USAGE = `usage:
  npm run orchard -- data inspect FILE [options]
      Summary of a preference file (JSONL, JSON or CSV; paper, TRL, Anthropic-HH or rated rows)
      and every row that could not be read. Exit code 1 when any row has a problem.
      --json                    print the summary and problems as JSON
      --format F                paper | trl | hh | rated (default: detected from the fields)
      --container C             jsonl | json | csv | tsv (default: detected)
      --tokenizer DIR           count lengths in tokens (a folder with tokenizer.json), else characters
      --template T              prompt template for token lengths (default: the paper's; "chat")
      --max-length N            with --tokenizer: count sides that truncation would cut
      --max-prompt-length N

  npm run orchard -- data pairs --task apples --seed N --out FILE [options]
      Generates Apples & Oranges candidates (a reference and flawed answers per instruction), judges
      them in both orders with the exact oracle, and writes the kept pairs as JSON Lines
      {i_chosen, r_chosen, i_reject, r_reject}.
      --mode M                  conditional | joint | both (default: both, the paper's setup)
      --n-instructions K        instructions to sample (default 50)
      --split S                 train | test instructions (default train; the splits never overlap)
      --budget M                at most M judge calls (two per pair)
      --joint-pairs J           joint pairs to consider (default: as many as conditional pairs)
      --json                    print the counts as JSON`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub ? 0 : 2;
  }
  if (sub === 'inspect') return inspect(rest);
  if (sub === 'pairs') return pairs(rest);
  console.error(`data: unknown subcommand "${sub}"\n\n${USAGE}`);
  return 2;
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      format: { type: 'string' },
      container: { type: 'string' },
      tokenizer: { type: 'string' },
      template: { type: 'string' },
      'max-length': { type: 'string' },
      'max-prompt-length': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new Error(`data inspect needs exactly one FILE\n\n${USAGE}`);
  const file = positionals[0];
  const format = oneOf('--format', values.format, SOURCE_FORMATS) as SourceFormat | undefined;
  const container = oneOf('--container', values.container, ['jsonl', 'json', 'csv', 'tsv']) as Container | undefined;
  await stat(file).catch(() => {
    throw new Error(`cannot read ${file}: no such file`);
  });
  const result = await importPreferences(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, {
    fileName: file,
    format,
    container,
  });
  const tokenizer = values.tokenizer ? await loadTokenizer({ dir: values.tokenizer }) : undefined;
  const summary = summarize(result, {
    tokenizer,
    template: values.template,
    maxLength: intOption('--max-length', values['max-length']),
    maxPromptLength: intOption('--max-prompt-length', values['max-prompt-length']),
  });
  if (values.json) console.log(JSON.stringify({ file, summary, problems: result.problems }, null, 2));
  else console.log(renderSummary(file, summary, result.problems, tokenizer?.name));
  return result.problems.length > 0 ? 1 : 0;
}

async function pairs(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      task: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      mode: { type: 'string', default: 'both' },
      'n-instructions': { type: 'string', default: '50' },
      split: { type: 'string', default: 'train' },
      budget: { type: 'string' },
      'joint-pairs': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw new Error(`data pairs: unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  if (values.task !== 'apples') throw new Error('data pairs needs --task apples (the only generated task)');
  const seed = intOption('--seed', values.seed);
  if (seed === undefined) throw new Error('data pairs needs --seed N');
  if (!values.out) throw new Error('data pairs needs --out FILE');
  const mode = oneOf('--mode', values.mode, ['conditional', 'joint', 'both']) as PairingMode;
  const split = oneOf('--split', values.split, ['train', 'test']) as 'train' | 'test';
  const nInstructions = intOption('--n-instructions', values['n-instructions']) ?? 50;

  const candidates = appleCandidates({ seed, nInstructions, split });
  const result = await buildPairs(candidates, applesOracle(), {
    mode,
    seed,
    budget: intOption('--budget', values.budget),
    jointPairs: intOption('--joint-pairs', values['joint-pairs']),
  });
  const jsonl = result.pairs.map((r) => JSON.stringify(r)).join('\n');
  await writeFile(values.out, jsonl.length > 0 ? `${jsonl}\n` : '');
  if (values.json) console.log(JSON.stringify({ out: values.out, seed, mode, split, counts: result.counts }, null, 2));
  else console.log(renderCounts(values.out, result.counts, { seed, mode, split, nInstructions }));
  return 0;
}

function renderSummary(file: string, s: DataSummary, problems: ImportProblem[], tokenizerName?: string): string {
  const lines: string[] = [];
  lines.push(
    `file: ${file} (${s.bytes.toLocaleString('en-US')} bytes, ${s.container}, format ${s.format ?? 'unknown'})`,
  );
  if (s.pairs > 0 || s.candidates === 0) {
    lines.push(
      `pairs: ${s.pairs} (${s.conditional} conditional: same instruction; ${s.joint} joint: different instructions)`,
    );
  }
  if (s.candidates > 0) lines.push(`candidates (instruction, response): ${s.candidates}, not pairs yet`);
  lines.push(`distinct instructions: ${s.distinctInstructions}`);
  if (s.promptLength && s.responseLength) {
    const unit = s.unit === 'tokens' ? `tokens (${tokenizerName})` : 'characters';
    const per = s.pairs > 0 ? 'per side, 2 per pair' : 'per candidate';
    lines.push(`lengths in ${unit}, ${per}, n = ${s.promptLength.count}:`);
    lines.push(`  ${''.padEnd(10)}${['min', 'mean', 'p50', 'p95', 'max'].map((h) => h.padStart(8)).join('')}`);
    lines.push(statsRow('prompt', s.promptLength), statsRow('response', s.responseLength));
  }
  const empties = Object.entries(s.emptyFields).map(([k, v]) => `${k} ${v}`);
  lines.push(
    `duplicates: ${s.duplicates}   chosen == rejected: ${s.identicalSides}   empty fields: ${empties.join(', ') || 'none'}`,
  );
  if (s.truncation) {
    const t = s.truncation;
    const limits = [t.maxLength && `max length ${t.maxLength}`, t.maxPromptLength && `max prompt ${t.maxPromptLength}`];
    lines.push(`truncation (${limits.filter(Boolean).join(', ')}): ${t.truncatedSides} of ${t.sides} sides cut`);
  }
  if (problems.length === 0) lines.push('problems: none');
  else {
    lines.push(`problems: ${problems.length} row${problems.length === 1 ? '' : 's'} skipped`);
    for (const p of problems) lines.push(`  line ${p.line}: ${p.reason}`);
  }
  return lines.join('\n');
}

function statsRow(name: string, st: LengthStats): string {
  const cells = [st.min, st.mean.toFixed(1), st.p50, st.p95, st.max].map((v) => String(v).padStart(8));
  return `  ${name.padEnd(10)}${cells.join('')}`;
}

function renderCounts(
  out: string,
  c: PairingCounts,
  o: { seed: number; mode: string; split: string; nInstructions: number },
): string {
  return [
    `apples pairs, seed ${o.seed}, mode ${o.mode}, ${o.split} split, ${o.nInstructions} instructions requested`,
    `candidates: ${c.candidates} (${c.duplicatesRemoved} duplicates removed) over ${c.instructions} instructions`,
    `available pairs: ${c.conditionalAvailable} conditional, ${c.jointAvailable} joint`,
    `judged pairs: ${c.conditionalPlanned} conditional + ${c.jointPlanned} joint, ${c.comparisonsAsked} comparisons (both orders)`,
    `verdicts: ${c.consistent} consistent, ${c.ties} ties dropped (${c.tiesEqual} equal, ${c.tiesInconsistent} inconsistent)`,
    `kept: ${c.conditionalKept} conditional + ${c.jointKept} joint = ${c.conditionalKept + c.jointKept} rows -> ${out}`,
  ].join('\n');
}

function oneOf(flag: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new Error(`${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value;
}

function intOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number >= 0; got "${value}"`);
  return n;
}
