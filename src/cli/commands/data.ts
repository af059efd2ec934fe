/**
 * `npm run orchard -- data inspect FILE` and `npm run orchard -- data pairs --task apples ...`.
 */
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { SOURCE_FORMATS } from '../../data/formats/schemas.ts';
import { CONTAINERS, importPreferences } from '../../data/import.ts';
import { applesOracle } from '../../data/judges/oracle.ts';
import { buildPairs, PAIRING_MODES, type PairingCounts } from '../../data/pairing.ts';
import { checkInputFile } from '../../data/read-file-node.ts';
import { type DataSummary, type LengthStats, summarize } from '../../data/summary.ts';
import { appleCandidates } from '../../data/tasks/apples-candidates.ts';
import { loadTokenizer } from '../../data/tokenizer.ts';
import type { ImportProblem } from '../../data/types.ts';
import { choiceFlag, countFlag, runCommand, SWITCH, TEXT, textOr } from '../args.ts';

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
  if (!sub) {
    console.error(`data: a subcommand is required (inspect or pairs)\n\n${USAGE}`);
    return 2;
  }
  if (sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (sub === 'inspect') return inspect(rest);
  if (sub === 'pairs') return pairs(rest);
  console.error(`data: unknown subcommand "${sub}"\n\n${USAGE}`);
  return 2;
}

const INSPECT = {
  name: 'data inspect',
  usage: USAGE,
  flags: {
    json: SWITCH,
    format: TEXT,
    container: TEXT,
    tokenizer: TEXT,
    template: TEXT,
    'max-length': TEXT,
    'max-prompt-length': TEXT,
  },
  positionals: ['FILE'],
} as const;

function inspect(argv: string[]): Promise<number> {
  return runCommand(INSPECT, argv, async ({ values, positionals: [file] }) => {
    const format = choiceFlag('--format', values.format, SOURCE_FORMATS);
    const container = choiceFlag('--container', values.container, CONTAINERS);
    await checkInputFile(file, 'data inspect');
    const result = await importPreferences(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, {
      fileName: file,
      format,
      container,
    });
    const tokenizer = values.tokenizer ? await loadTokenizer({ dir: values.tokenizer }) : undefined;
    const summary = summarize(result, {
      tokenizer,
      template: values.template,
      maxLength: countFlag('--max-length', values['max-length']),
      maxPromptLength: countFlag('--max-prompt-length', values['max-prompt-length']),
    });
    if (values.json) {
      console.log(JSON.stringify({ file, summary, problems: result.problems, warnings: result.warnings }, null, 2));
    } else console.log(renderSummary(file, summary, result, tokenizer?.name));
    return result.problems.length > 0 ? 1 : 0;
  });
}

const PAIRS = {
  name: 'data pairs',
  usage: USAGE,
  flags: {
    task: TEXT,
    seed: TEXT,
    out: TEXT,
    mode: textOr('both'),
    'n-instructions': textOr('50'),
    split: textOr('train'),
    budget: TEXT,
    'joint-pairs': TEXT,
    json: SWITCH,
  },
  required: ['task', 'seed', 'out'],
} as const;

function pairs(argv: string[]): Promise<number> {
  return runCommand(PAIRS, argv, async ({ values }) => {
    if (values.task !== 'apples') {
      throw new Error(`data pairs: --task must be apples (the only generated task); got "${values.task}"`);
    }
    const seed = countFlag('--seed', values.seed);
    const mode = choiceFlag('--mode', values.mode, PAIRING_MODES);
    const split = choiceFlag('--split', values.split, ['train', 'test']);
    const nInstructions = countFlag('--n-instructions', values['n-instructions']) ?? 50;

    const candidates = appleCandidates({ seed, nInstructions, split });
    const result = await buildPairs(candidates, applesOracle(), {
      mode,
      seed,
      budget: countFlag('--budget', values.budget),
      jointPairs: countFlag('--joint-pairs', values['joint-pairs']),
    });
    const jsonl = result.pairs.map((r) => JSON.stringify(r)).join('\n');
    await writeFile(values.out, jsonl.length > 0 ? `${jsonl}\n` : '');
    if (values.json) {
      console.log(JSON.stringify({ out: values.out, seed, mode, split, counts: result.counts }, null, 2));
    } else {
      console.log(renderCounts(values.out, result.counts, { seed, mode, split, nInstructions }));
    }
    return 0;
  });
}

function renderSummary(
  file: string,
  s: DataSummary,
  { problems, warnings }: { problems: ImportProblem[]; warnings: ImportProblem[] },
  tokenizerName?: string,
): string {
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
  if (warnings.length > 0) {
    lines.push(`warnings: ${warnings.length} (the rows were read; check them)`);
    for (const w of warnings) lines.push(`  line ${w.line}: ${w.reason}`);
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
