/**
 * Turns a spec's model and data sources into loaded objects:
 * - model: a bundled model (public/models/ID: fetched under the app's base URL in the browser, read
 *   from the folder in Node), a local folder (Node), or a Hub repository (src/lab/hub); always a
 *   LoadedModel plus its tokenizer (tokenizer.json + tokenizer_config.json next to the weights);
 * - data (file and hub sources): the rows of a JSON/JSONL file (a path in Node, or rows inline in
 *   the spec), or of a Hub dataset file, imported by src/data/import.ts.
 *
 * Browser-safe: Node's file system is imported lazily, only by `nodeResolvers`.
 */

import type { SourceFormat } from '../data/formats/schemas.ts';
import { importPreferences } from '../data/import.ts';
import { PAPER_DATA_DIR, PAPER_DATA_URL, PAPER_TRAIN_FILES } from '../data/paper-data.ts';
import { type Tokenizer, tokenizerFromJson } from '../data/tokenizer.ts';
import type { ImportProblem, PreferenceRow, RatedCandidate } from '../data/types.ts';
import { type LoadedModel, loadModel, type ModelFiles } from '../engine/index.ts';
import { type HubOptions, loadHubDatasetFile, loadHubModel } from './hub/index.ts';
import type { BundledModelId, DataFormat, DataOrigin, ModelSpec } from './spec.ts';

export interface ResolvedModel {
  model: LoadedModel;
  tokenizer: Tokenizer;
  /** What adapters record as base_model_name_or_path (a bundled id, a path, or a repo id). */
  name: string;
}

export interface ResolvedData {
  pairs: PreferenceRow[];
  candidates: RatedCandidate[];
  /** Rows skipped; `file` names the file when the data comes from several. */
  problems: (ImportProblem & { file?: string })[];
  /** Where the rows came from, for messages. */
  source: string;
}

export interface ResolveContext {
  signal?: AbortSignal;
  onProgress?: (message: string, done: number, total: number) => void;
}

export interface Resolvers {
  model(spec: ModelSpec, ctx?: ResolveContext): Promise<ResolvedModel>;
  /** Rows of a file or hub data source (task data needs no resolving). */
  data(spec: DataRequest, ctx?: ResolveContext): Promise<ResolvedData>;
}

/** A spec's data origin, or bundled paper files by path (src/data/paper-data.ts; a test file, say). */
export type DataRequest = DataOrigin | { source: 'paper'; files: readonly string[] };

export interface ResolverOptions {
  /** The files of a bundled model (browser default: fetched from `${baseUrl}models/ID/`). */
  bundledFiles?: (id: BundledModelId) => ModelFiles;
  /** A local model folder (Node only). */
  localFiles?: (path: string) => ModelFiles;
  /** A local data file (Node only). */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** A file of the bundled paper data (default: fetched from `/data/paper/`; Node: public/data/paper). */
  paperFile?: (path: string) => Promise<Uint8Array>;
  hub?: HubOptions;
}

const FORMATS: Record<DataFormat, SourceFormat | undefined> = {
  auto: undefined,
  jpo: 'paper',
  trl: 'trl',
  sft: 'rated',
};

export function createResolvers(o: ResolverOptions = {}): Resolvers {
  return {
    async model(spec, ctx = {}) {
      if (spec.source === 'bundled') {
        const files = (o.bundledFiles ?? ((id) => fetchModelFiles(`/models/${id}/`, id)))(spec.id);
        if (!(await files.read('config.json'))) {
          throw new Error(
            `the bundled model "${spec.id}" is missing (public/models/${spec.id}/config.json); build it with npm run make:tiny-model`,
          );
        }
        return { ...(await modelFromFiles(files)), name: spec.id };
      }
      if (spec.source === 'local') {
        if (!o.localFiles) {
          throw new Error(
            `model.source "local" (${spec.path}) needs the file system: use the CLI, or load the model from the Hub`,
          );
        }
        return { ...(await modelFromFiles(o.localFiles(spec.path))), name: spec.path };
      }
      const files = await loadHubModel(spec.repo, {
        ...o.hub,
        revision: spec.revision,
        signal: ctx.signal,
        onProgress: (p) =>
          ctx.onProgress?.(`downloading ${spec.repo}: ${p.file}`, p.overallLoaded, p.overallTotal ?? p.overallLoaded),
      });
      const byPath = new Map<string, Uint8Array>(files.weights.map((w) => [w.path, w.bytes]));
      const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
      const modelFilesOfHub: ModelFiles = {
        name: spec.repo,
        async read(path) {
          if (path === 'config.json') return json(files.config);
          if (path === 'model.safetensors.index.json' && files.weightMap) return json({ weight_map: files.weightMap });
          return byPath.get(path) ?? null;
        },
      };
      const model = await loadModel(modelFilesOfHub);
      const tokenizer = tokenizerFromJson(files.tokenizer, files.tokenizerConfig ?? {}, spec.repo);
      checkVocab(spec.repo, model, tokenizer);
      return { model, tokenizer, name: spec.repo };
    },

    async data(spec, ctx = {}) {
      if (spec.source === 'task') throw new Error('resolve.data: task data is generated by the pipeline, not loaded');
      const format = 'format' in spec ? FORMATS[spec.format] : undefined;
      if ('rows' in spec && spec.rows) {
        const text = spec.rows.map((r) => JSON.stringify(r)).join('\n');
        return imported(await importPreferences(text, { format, container: 'jsonl' }), 'data.rows');
      }
      const readOne = async (file: string): Promise<ResolvedData> => {
        if (spec.source === 'paper') {
          const bytes = await (o.paperFile ?? fetchPaperFile)(file);
          return imported(
            await importPreferences(bytes, { format, fileName: file, signal: ctx.signal }),
            `paper data ${file}`,
          );
        }
        if (spec.source === 'hub') {
          const got = await loadHubDatasetFile(spec.repo, file, {
            ...o.hub,
            revision: spec.revision,
            signal: ctx.signal,
            onProgress: (p) =>
              ctx.onProgress?.(`downloading ${spec.repo}/${file}`, p.overallLoaded, p.overallTotal ?? p.overallLoaded),
          });
          const r = await importPreferences(got.bytes, { format, fileName: file, signal: ctx.signal });
          return imported(r, `${spec.repo}/${file}`);
        }
        if (!o.readFile)
          throw new Error(`data.path "${file}" needs the file system: use the CLI, or give the rows inline`);
        const bytes = await o.readFile(file);
        return imported(await importPreferences(bytes, { format, fileName: file, signal: ctx.signal }), file);
      };
      const files =
        spec.source === 'paper'
          ? [...('files' in spec ? spec.files : PAPER_TRAIN_FILES[spec.dataset])]
          : spec.source === 'hub'
            ? spec.file
            : (spec as { path: string | string[] }).path;
      if (!Array.isArray(files)) return readOne(files);
      // Several files: read in the order listed, each with its own format detection; problems keep their file.
      const parts: ResolvedData[] = [];
      for (const file of files) parts.push(await readOne(file));
      return {
        pairs: parts.flatMap((p) => p.pairs),
        candidates: parts.flatMap((p) => p.candidates),
        problems: parts.flatMap((p) => p.problems.map((x) => ({ ...x, file: p.source }))),
        source: parts.map((p) => p.source).join(' + '),
      };
    },
  };
}

function imported(r: Awaited<ReturnType<typeof importPreferences>>, source: string): ResolvedData {
  if (r.pairs.length === 0 && r.candidates.length === 0) {
    const first = r.problems[0];
    throw new Error(
      `${source}: no usable rows${first ? ` (line ${first.line}: ${first.reason})` : ''}; rows look like {i_chosen, r_chosen, i_reject, r_reject}, {prompt, chosen, rejected} or {instruction, response}`,
    );
  }
  return { pairs: r.pairs, candidates: r.candidates, problems: r.problems, source };
}

/** A bundled paper file over HTTP, under the app's public folder. */
async function fetchPaperFile(path: string): Promise<Uint8Array> {
  const url = `/${PAPER_DATA_URL}${path}`;
  const res = await globalThis.fetch(url);
  if (!res.ok) throw new Error(`cannot load the bundled paper data ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** A model folder (config.json, model.safetensors, tokenizer.json, tokenizer_config.json) as a model and tokenizer. */
export async function modelFromFiles(files: ModelFiles): Promise<{ model: LoadedModel; tokenizer: Tokenizer }> {
  const [model, tokJson, tokConfig] = await Promise.all([
    loadModel(files),
    files.read('tokenizer.json'),
    files.read('tokenizer_config.json'),
  ]);
  if (!tokJson)
    throw new Error(`${files.name}: no tokenizer.json next to the weights; Orchard needs the fast-tokenizer file`);
  const decode = (b: Uint8Array, what: string) => {
    try {
      return JSON.parse(new TextDecoder().decode(b));
    } catch (err) {
      throw new Error(`${files.name}/${what} is not valid JSON: ${(err as Error).message}`);
    }
  };
  const tokenizer = tokenizerFromJson(
    decode(tokJson, 'tokenizer.json'),
    tokConfig ? decode(tokConfig, 'tokenizer_config.json') : {},
    files.name,
  );
  checkVocab(files.name, model, tokenizer);
  return { model, tokenizer };
}

function checkVocab(name: string, model: LoadedModel, tokenizer: Tokenizer): void {
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(
      `${name}: the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${model.config.vocabSize}`,
    );
  }
}

/** Model files served over HTTP under `baseUrl` (the app's public/ folder in the browser). */
export function fetchModelFiles(baseUrl: string, name: string, fetchFn: typeof fetch = globalThis.fetch): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    name,
    async read(path) {
      const res = await fetchFn(`${base}${path}`);
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`cannot load ${base}${path}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

/**
 * Resolvers for Node (CLI, tests, benchmarks): bundled models from `modelsDir` (default
 * `${root}/public/models`), local model folders and data files relative to `root` (default the
 * working directory).
 */
export async function nodeResolvers(
  o: { root?: string; modelsDir?: string; hub?: HubOptions; paperDir?: string } = {},
): Promise<Resolvers> {
  const pathModule = 'node:path';
  const [{ dirFiles }, { readInputFile }, path] = await Promise.all([
    import('../engine/models/files-node.ts'),
    import('../data/read-file-node.ts'),
    import(/* @vite-ignore */ pathModule) as Promise<typeof import('node:path')>,
  ]);
  const root = o.root ?? process.cwd();
  return createResolvers({
    hub: o.hub,
    bundledFiles: (id) => {
      const files = dirFiles(path.join(o.modelsDir ?? path.join(root, 'public', 'models'), id));
      return { ...files, name: id };
    },
    localFiles: (p) => dirFiles(path.resolve(root, p)),
    // Errors name the path and what was expected (a folder or a missing file is not a bare EISDIR/ENOENT).
    readFile: (p) => readInputFile(path.resolve(root, p), 'data.path'),
    paperFile: (p) => readInputFile(path.join(o.paperDir ?? path.join(root, PAPER_DATA_DIR), p), 'paper data'),
  });
}
