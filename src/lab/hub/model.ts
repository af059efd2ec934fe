/**
 * Loads a model repository's files from the Hub: config.json, safetensors weights (one file, or an
 * index plus shards), tokenizer.json, and tokenizer_config.json / generation_config.json when present.
 * Returns bytes and parsed JSON; building the model and tokenizer is the engine's and data's job
 * (e.g. `tokenizerFromJson(files.tokenizer, files.tokenizerConfig ?? {}, repo)`).
 */
import { type HubOptions, makeContext } from './context.ts';
import { HubError } from './errors.ts';
import { getListing, loadFiles, missingFile } from './files.ts';
import { checkRepoPath } from './ids.ts';

export interface HubModelFiles {
  repo: string;
  revision: string;
  /** The commit the revision resolved to, when the Hub said (pin it to reproduce this load). */
  sha: string | null;
  config: Record<string, unknown>;
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown> | null;
  generationConfig: Record<string, unknown> | null;
  /** Safetensors files in load order: one for `model.safetensors`, else the shards in index order. */
  weights: { path: string; bytes: Uint8Array }[];
  /** For sharded models, the index's weight_map (tensor name → shard file); null otherwise. */
  weightMap: Record<string, string> | null;
  /** Bytes of every file this load returned. */
  totalBytes: number;
}

const SINGLE_WEIGHTS = 'model.safetensors';
const WEIGHTS_INDEX = 'model.safetensors.index.json';

export async function loadHubModel(repo: string, opts: HubOptions = {}): Promise<HubModelFiles> {
  const ctx = makeContext('model', repo, opts);
  const listing = await getListing(ctx);
  const has = (path: string) => listing.files.some((f) => f.path === path);

  for (const required of ['config.json', 'tokenizer.json']) {
    if (!has(required)) {
      const fix =
        required === 'tokenizer.json' ? '; Orchard needs the fast-tokenizer file, pick a repository that has one' : '';
      throw new HubError('file-not-found', `model ${ctx.repo} (revision ${ctx.revision}) has no ${required}${fix}`, {
        repo: ctx.repo,
        path: required,
      });
    }
  }

  let weightMap: Record<string, string> | null = null;
  let weightPaths: string[];
  let indexBytes = 0;
  if (has(SINGLE_WEIGHTS)) {
    weightPaths = [SINGLE_WEIGHTS];
  } else if (has(WEIGHTS_INDEX)) {
    const index = (await loadFiles(ctx, listing, [WEIGHTS_INDEX])).get(WEIGHTS_INDEX) as Uint8Array;
    indexBytes = index.byteLength;
    weightMap = parseWeightMap(ctx.repo, index);
    weightPaths = [...new Set(Object.values(weightMap))];
    for (const shard of weightPaths) if (!has(shard)) throw missingFile(ctx, shard);
  } else {
    const others = listing.files.filter((f) => /\.(bin|pt|pth|gguf|onnx|h5|msgpack)$/.test(f.path)).map((f) => f.path);
    throw new HubError(
      'file-not-found',
      `model ${ctx.repo} (revision ${ctx.revision}) has no ${SINGLE_WEIGHTS} or ${WEIGHTS_INDEX}; Orchard reads ` +
        `safetensors weights only${others.length ? ` (found ${others.slice(0, 5).join(', ')})` : ''}. ` +
        'Pick a repository with safetensors files, or a revision (e.g. "refs/pr/N") that adds them',
      { repo: ctx.repo, path: SINGLE_WEIGHTS },
    );
  }

  const optional = ['tokenizer_config.json', 'generation_config.json'].filter(has);
  const paths = ['config.json', 'tokenizer.json', ...optional, ...weightPaths];
  const files = await loadFiles(ctx, listing, paths, indexBytes);
  const json = (path: string) => parseJsonObject(ctx.repo, path, files.get(path) as Uint8Array);
  return {
    repo: ctx.repo,
    revision: ctx.revision,
    sha: listing.sha,
    config: json('config.json'),
    tokenizer: json('tokenizer.json'),
    tokenizerConfig: files.has('tokenizer_config.json') ? json('tokenizer_config.json') : null,
    generationConfig: files.has('generation_config.json') ? json('generation_config.json') : null,
    weights: weightPaths.map((path) => ({ path, bytes: files.get(path) as Uint8Array })),
    weightMap,
    totalBytes: indexBytes + [...files.values()].reduce((sum, b) => sum + b.byteLength, 0),
  };
}

function parseWeightMap(repo: string, bytes: Uint8Array): Record<string, string> {
  const index = parseJsonObject(repo, WEIGHTS_INDEX, bytes);
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map) || Object.keys(map).length === 0) {
    throw new HubError('bad-response', `${repo}: ${WEIGHTS_INDEX} has no "weight_map" object`, {
      repo,
      path: WEIGHTS_INDEX,
    });
  }
  // Null prototype: a tensor named "__proto__" stays an ordinary entry.
  const out: Record<string, string> = Object.create(null);
  for (const [tensor, file] of Object.entries(map)) {
    const checked = checkRepoPath(file);
    if (!checked.ok || !checked.value.endsWith('.safetensors')) {
      throw new HubError(
        'bad-response',
        `${repo}: ${WEIGHTS_INDEX} maps tensor "${tensor}" to an unsafe or non-safetensors file (${checked.ok ? `"${file}"` : checked.message})`,
        { repo, path: WEIGHTS_INDEX },
      );
    }
    out[tensor] = checked.value;
  }
  return out;
}

export function parseJsonObject(repo: string, path: string, bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new HubError('bad-response', `${repo}: ${path} is not valid JSON (${(err as Error).message})`, {
      repo,
      path,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HubError('bad-response', `${repo}: ${path} must hold a JSON object`, { repo, path });
  }
  return value as Record<string, unknown>;
}
