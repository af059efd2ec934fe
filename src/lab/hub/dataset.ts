/**
 * Loads JSON / JSON Lines files of a Hub dataset repository (e.g. `jointpreferences/sft_and_pref_data`),
 * and turns such a file into rows. Interpreting the rows' fields is src/data's job.
 */
import { type HubOptions, makeContext } from './context.ts';
import { HubError } from './errors.ts';
import { getListing, loadFiles, type RepoFile } from './files.ts';
import { checkRepoPath } from './ids.ts';

const DATA_FILE = /\.(jsonl|json)$/i;

export interface HubDatasetListing {
  repo: string;
  revision: string;
  sha: string | null;
  /** The repository's .json and .jsonl files. */
  files: RepoFile[];
}

export interface HubDatasetFile {
  repo: string;
  revision: string;
  sha: string | null;
  path: string;
  bytes: Uint8Array;
}

export async function listHubDatasetFiles(repo: string, opts: HubOptions = {}): Promise<HubDatasetListing> {
  const ctx = makeContext('dataset', repo, opts);
  const listing = await getListing(ctx);
  return {
    repo: ctx.repo,
    revision: ctx.revision,
    sha: listing.sha,
    files: listing.files.filter((f) => DATA_FILE.test(f.path)),
  };
}

export async function loadHubDatasetFile(repo: string, path: string, opts: HubOptions = {}): Promise<HubDatasetFile> {
  const ctx = makeContext('dataset', repo, opts);
  const checked = checkRepoPath(path);
  if (!checked.ok) throw new HubError('invalid-input', `dataset file path ${checked.message}`, { repo: ctx.repo });
  if (!DATA_FILE.test(checked.value)) {
    throw new HubError(
      'invalid-input',
      `dataset file "${checked.value}" is not .json or .jsonl; Orchard reads JSON and JSON Lines data files`,
      { repo: ctx.repo, path: checked.value },
    );
  }
  const listing = await getListing(ctx);
  const files = await loadFiles(ctx, listing, [checked.value]);
  return {
    repo: ctx.repo,
    revision: ctx.revision,
    sha: listing.sha,
    path: checked.value,
    bytes: files.get(checked.value) as Uint8Array,
  };
}

/**
 * Rows of a JSON Lines file (one object per non-blank line) or a JSON file (an array of objects, or
 * JSON Lines despite a .json name, as the JPO paper's tldr/test.json is). Errors name file and line.
 */
export function parseJsonRows(bytes: Uint8Array, fileName: string): Record<string, unknown>[] {
  const text = new TextDecoder().decode(bytes).replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw new Error(`${fileName}: not a valid JSON array (${(err as Error).message})`);
    }
    const rows = value as unknown[];
    rows.forEach((row, i) => {
      if (!isRecord(row))
        throw new Error(`${fileName}: item ${i} is not a JSON object; each row must be {"field": ...}`);
    });
    return rows as Record<string, unknown>[];
  }
  const rows: Record<string, unknown>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`${fileName}:${i + 1}: not valid JSON (${(err as Error).message}); each line must be one object`);
    }
    if (!isRecord(row)) throw new Error(`${fileName}:${i + 1}: not a JSON object; each line must be {"field": ...}`);
    rows.push(row);
  }
  return rows;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
