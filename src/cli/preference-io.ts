/**
 * Shared by the `logps` and `loss` commands: the backend by name, a model folder (weights +
 * tokenizer), the paper's JSONL rows, and their tokenization into chosen/rejected sequences.
 */
import { readFile } from 'node:fs/promises';
import { bucketLength, encodePair, PAPER_TEMPLATE, type SequenceMode } from '../data/sequence.ts';
import { loadTokenizer, type Tokenizer } from '../data/tokenizer.ts';
import type { PreferenceRow } from '../data/types.ts';
import type { Backend } from '../engine/backend.ts';
import { createBackend } from '../engine/backends/create.ts';
import { dirFiles } from '../engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../engine/models/index.ts';
import type { EncodedRow } from '../engine/reference.ts';

/** `--backend NAME`; Node's WebGPU comes from Dawn (webgpu/node-gpu.ts). */
export async function openBackend(name: string): Promise<Backend> {
  if (name === 'webgpu') {
    const { getNodeGPU } = await import('../engine/backends/webgpu/node-gpu.ts');
    return createBackend(name, { gpu: await getNodeGPU() });
  }
  return createBackend(name);
}

export async function loadModelDir(dir: string): Promise<{ model: LoadedModel; tokenizer: Tokenizer }> {
  const [model, tokenizer] = await Promise.all([loadModel(dirFiles(dir)), loadTokenizer({ dir })]);
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(
      `${dir}: the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${model.config.vocabSize}`,
    );
  }
  return { model, tokenizer };
}

/** JSON Lines in the paper's format; every non-blank line is one row (errors name the line). */
export async function readPaperRows(file: string): Promise<PreferenceRow[]> {
  const text = await readFile(file, 'utf8');
  const rows: PreferenceRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    const o = obj as Record<string, unknown>;
    for (const k of ['i_chosen', 'r_chosen', 'i_reject', 'r_reject']) {
      if (typeof o?.[k] !== 'string') {
        throw new Error(
          `${file}:${i + 1}: field "${k}" must be a string; rows look like {i_chosen, r_chosen, i_reject, r_reject}`,
        );
      }
    }
    rows.push({
      i_chosen: o.i_chosen as string,
      r_chosen: o.r_chosen as string,
      i_reject: o.i_reject as string,
      r_reject: o.r_reject as string,
    });
  });
  if (rows.length === 0) throw new Error(`${file}: no data rows`);
  return rows;
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
