/**
 * Shared by the `logps` and `loss` commands: the backend by name, a model folder (weights +
 * tokenizer), the paper's JSONL rows, and their tokenization into chosen/rejected sequences.
 */
import { stat } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { importPreferences } from '../data/import.ts';
import { readInputFile } from '../data/read-file-node.ts';
import { bucketLength, encodePair, PAPER_TEMPLATE, type SequenceMode } from '../data/sequence.ts';
import { loadTokenizer, type Tokenizer } from '../data/tokenizer.ts';
import type { PreferenceRow } from '../data/types.ts';
import type { Backend } from '../engine/backend.ts';
import { type AdapterIdentity, type BackendDecision, chooseBackend } from '../engine/backends/auto-choice.ts';
import { createBackend } from '../engine/backends/create.ts';
import { identifyAdapter } from '../engine/backends/webgpu/device.ts';
import { dirFiles } from '../engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../engine/models/index.ts';
import type { EncodedRow } from '../engine/reference.ts';

/** `--backend NAME`; Node's WebGPU comes from Dawn (webgpu/node-gpu.ts). */
/**
 * The backend `auto` means in Node: WebGPU (Dawn) on a hardware adapter, the CPU backend when the
 * adapter is a software one or there is none; the same rule as the lab (engine/backends/auto-choice.ts).
 */
export async function resolveAutoBackend(): Promise<BackendDecision> {
  let identity: AdapterIdentity | string;
  try {
    const { getNodeGPU } = await import('../engine/backends/webgpu/node-gpu.ts');
    identity = await identifyAdapter(await getNodeGPU());
  } catch (err) {
    identity = `WebGPU is not available in Node here (${err instanceof Error ? err.message : String(err)})`;
  }
  return chooseBackend('auto', identity);
}

export async function openBackend(name: string): Promise<Backend> {
  if (name === 'webgpu') {
    const { getNodeGPU } = await import('../engine/backends/webgpu/node-gpu.ts');
    return createBackend(name, { gpu: await getNodeGPU() });
  }
  return createBackend(name, { memoryBudgetBytes: totalmem() });
}

export async function loadModelDir(dir: string): Promise<{ model: LoadedModel; tokenizer: Tokenizer }> {
  await checkModelDir(dir, '--model');
  const [model, tokenizer] = await Promise.all([loadModel(dirFiles(dir)), loadTokenizer({ dir })]);
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(
      `${dir}: the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${model.config.vocabSize}`,
    );
  }
  return { model, tokenizer };
}

/**
 * Preference rows from a data file, read exactly as `data inspect` and training read it (JSON
 * Lines, JSON or CSV; paper, TRL or Anthropic-HH rows; BOM and CRLF accepted). A row that cannot
 * be read is an error naming its line (scores must cover every row); warnings (invalid UTF-8, a
 * repeated key) go to stderr with their lines.
 */
export async function readPaperRows(file: string, command = 'orchard'): Promise<PreferenceRow[]> {
  const result = await importPreferences(await readInputFile(file, '--data'), { fileName: file });
  for (const w of result.warnings) console.error(`${command}: warning: ${file}:${w.line}: ${w.reason}`);
  const first = result.problems[0];
  if (first) {
    const more = result.problems.length > 1 ? ` (and ${result.problems.length - 1} more rows; see "data inspect")` : '';
    throw new Error(`${file}:${first.line}: ${first.reason}${more}`);
  }
  if (result.candidates.length > 0) {
    throw new Error(
      `${file}: holds rated candidates {instruction, response}, not preference pairs; rows look like {i_chosen, r_chosen, i_reject, r_reject}`,
    );
  }
  if (result.pairs.length === 0) throw new Error(`${file}: no data rows`);
  return result.pairs;
}

export function encodeRows(
  tok: Tokenizer,
  rows: readonly PreferenceRow[],
  mode: SequenceMode,
  template: string = PAPER_TEMPLATE,
): { chosen: EncodedRow[]; rejected: EncodedRow[] } {
  return {
    chosen: rows.map((r) => encodePair(tok, r.i_chosen, r.r_chosen, { mode, template })),
    rejected: rows.map((r) => encodePair(tok, r.i_reject, r.r_reject, { mode, template })),
  };
}

/** The data module's length buckets, so CLI numbers use the same padded shapes as training. */
export const cliBucket = (maxLen: number): number => bucketLength(maxLen);

/**
 * A folder, not a file: say so before a loader reports a missing config.json "inside" a file.
 * `holds` lists what the folder should contain (a Hugging Face model folder by default).
 */
export async function checkModelDir(
  dir: string,
  flag: string,
  holds = 'a model folder (config.json, model.safetensors, tokenizer.json)',
): Promise<void> {
  const info = await stat(dir).catch(() => {
    throw new Error(`${flag} ${dir} does not exist; give ${holds}`);
  });
  if (!info.isDirectory()) throw new Error(`${flag} ${dir} is a file; expected ${holds}`);
}

/**
 * Every number must be finite: a NaN or infinite log-prob or loss is an error, never printed as
 * null (JSON's NaN) with exit code 0.
 */
export function requireFinite(command: string, what: string, value: number, hint: string): void {
  if (!Number.isFinite(value)) throw new Error(`${command}: ${what} is ${value}; ${hint}`);
}
