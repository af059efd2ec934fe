/**
 * A local Hugging Face Hub for the Hub loader tests: an HTTP server (node:http on 127.0.0.1, random
 * port) serving the Hub's URL layout with files made here (a safetensors file from a minimal writer,
 * a config, a tokenizer.json, a dataset JSONL). Every request is logged, so tests can assert what
 * did (and did not) go over the network. `localHubForThisFile()` starts it for one test file.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { HubError } from '../../src/lab/hub/index.ts';

// ---------- fixtures ----------

export const enc = new TextEncoder();
export const json = (v: unknown) => enc.encode(JSON.stringify(v));

/** Minimal safetensors writer: u64 LE header length, JSON header padded to 8 bytes, F32 data. */
export function writeSafetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let headerText = JSON.stringify(header);
  while ((8 + headerText.length) % 8 !== 0) headerText += ' ';
  const out = new Uint8Array(8 + headerText.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerText.length), true);
  out.set(enc.encode(headerText), 8);
  let pos = 8 + headerText.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Independent reader for the check: tensor name → values. */
export function readSafetensors(bytes: Uint8Array): Map<string, Float32Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { data_offsets: [number, number] }
  >;
  const out = new Map<string, Float32Array>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = info.data_offsets;
    out.set(name, new Float32Array(bytes.slice(8 + n + b, 8 + n + e).buffer));
  }
  return out;
}

export function ramp(n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * scale));
}

export const SHA_MAIN = 'a'.repeat(40);
export const SHA_PR = 'b'.repeat(40);
export const SHA_OTHER = 'c'.repeat(40);

export const WTE = ramp(64 * 512, 0.01); // 128 kB: several chunks, so several progress events
export const WEIGHTS = writeSafetensors({
  'wte.weight': { shape: [64, 512], data: WTE },
  'ln.bias': { shape: [3], data: new Float32Array([1, 2, 3]) },
});
export const TOKENIZER = json({ version: '1.0', model: { type: 'BPE', vocab: { a: 0, b: 1 }, merges: [] } });
export const CONFIG_MAIN = json({ model_type: 'gpt2', n_embd: 512, n_layer: 2, note: 'main' });
export const CONFIG_PR = json({ model_type: 'gpt2', n_embd: 512, n_layer: 2, note: 'pr' });
export const SHARD1 = writeSafetensors({ 'a.weight': { shape: [4, 4], data: ramp(16, 0.3) } });
export const SHARD2 = writeSafetensors({ 'b.weight': { shape: [2, 8], data: ramp(16, 0.7) } });
export const DATA_ROWS = [
  {
    i_chosen: 'List four fruits',
    r_chosen: 'Apple, Orange, Banana, Grape',
    i_reject: 'List beach activities',
    r_reject: "wear sunscreen, don't litter",
  },
  {
    i_chosen: 'List two fruits other than Apple',
    r_chosen: 'Kiwi, Pear',
    i_reject: 'List two fruits other than Apple',
    r_reject: 'Apple, Pear',
  },
];
export const DATA_JSONL = enc.encode(`${DATA_ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);

export interface Revision {
  sha: string;
  files: Record<string, Uint8Array>;
  /** Files the listing names but the server answers 404 for (a broken repo). */
  phantom?: string[];
  /** Leave sizes out of the listing (then only Content-Length can tell). */
  hideSizes?: boolean;
}
export interface Repo {
  revisions: Record<string, Revision>;
  access?: (auth: string | undefined) => { status: number; code: string } | null;
  /** Stream each file in 4 kB pieces with a pause between them. */
  slow?: boolean;
}

export const MODEL_FILES = {
  'config.json': CONFIG_MAIN,
  'tokenizer.json': TOKENIZER,
  'tokenizer_config.json': json({ bos_token: 'a' }),
  'model.safetensors': WEIGHTS,
  'README.md': enc.encode('# tiny'),
};

/** A sharded model repository: config, tokenizer, an index with `weightMap`, and `shards`. */
function indexedRepo(weightMap: Record<string, string>, shards: Record<string, Uint8Array>): Repo {
  const index = json({ metadata: {}, weight_map: weightMap });
  const files = { 'config.json': CONFIG_MAIN, 'tokenizer.json': TOKENIZER, 'model.safetensors.index.json': index };
  return { revisions: { main: { sha: SHA_OTHER, files: { ...files, ...shards } } } };
}

export const MODELS: Record<string, Repo> = {
  'test-org/tiny': {
    revisions: {
      main: { sha: SHA_MAIN, files: MODEL_FILES },
      'refs/pr/1': { sha: SHA_PR, files: { ...MODEL_FILES, 'config.json': CONFIG_PR } },
    },
  },
  'test-org/sharded': indexedRepo(
    { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors' },
    { 'model-00001-of-00002.safetensors': SHARD1, 'model-00002-of-00002.safetensors': SHARD2 },
  ),
  'test-org/evil-index': indexedRepo({ 'a.weight': '../../test-org/tiny/resolve/main/model.safetensors' }, {}),
  'test-org/broken': {
    revisions: {
      main: {
        sha: SHA_OTHER,
        files: { 'config.json': CONFIG_MAIN, 'tokenizer.json': TOKENIZER },
        phantom: ['model.safetensors'],
      },
    },
  },
  'test-org/no-tokenizer': {
    revisions: {
      main: {
        sha: SHA_OTHER,
        files: { 'config.json': CONFIG_MAIN, 'pytorch_model.bin': WEIGHTS, 'model.safetensors': WEIGHTS },
      },
    },
  },
  'test-org/pt-only': {
    revisions: {
      main: {
        sha: SHA_OTHER,
        files: { 'config.json': CONFIG_MAIN, 'tokenizer.json': TOKENIZER, 'pytorch_model.bin': WEIGHTS },
      },
    },
  },
  'test-org/unsized': { revisions: { main: { sha: SHA_OTHER, files: MODEL_FILES, hideSizes: true } } },
  'test-org/gated': {
    revisions: { main: { sha: SHA_MAIN, files: MODEL_FILES } },
    access: (auth) => (auth === 'Bearer hf_good' ? null : { status: 401, code: 'GatedRepo' }),
  },
  'test-org/forbidden': {
    revisions: { main: { sha: SHA_MAIN, files: MODEL_FILES } },
    access: () => ({ status: 403, code: '' }),
  },
  'test-org/slow': { revisions: { main: { sha: SHA_MAIN, files: MODEL_FILES } }, slow: true },
};
export const DATASETS: Record<string, Repo> = {
  'jointpreferences/sft_and_pref_data': {
    revisions: {
      main: {
        sha: SHA_MAIN,
        files: {
          'tldr/train_pref.jsonl': DATA_JSONL,
          'rows.json': json(DATA_ROWS),
          'README.md': enc.encode('# data'),
          '.gitattributes': enc.encode(''),
        },
      },
    },
  },
};

// ---------- server ----------

export interface Logged {
  url: string;
  auth: string | undefined;
}

export function startHub(): Promise<{ server: Server; endpoint: string; log: Logged[] }> {
  const log: Logged[] = [];
  const server = createServer((req, res) => {
    void handle(req, res, log);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, endpoint: `http://127.0.0.1:${port}`, log });
    });
  });
}

export function fail(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}) });
  res.end(JSON.stringify({ error: code || `HTTP ${status}` }));
}

export async function handle(req: IncomingMessage, res: ServerResponse, log: Logged[]): Promise<void> {
  const url = req.url ?? '/';
  log.push({ url, auth: req.headers.authorization });
  const { pathname, searchParams } = new URL(url, 'http://hub');
  const api = pathname.match(/^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/revision\/([^/]+)$/);
  const resolve = pathname.match(/^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
  const m = api ?? resolve;
  if (!m) return fail(res, 404, '');
  const isDataset = api ? m[1] === 'datasets' : m[1] === 'datasets/';
  const repo = (isDataset ? DATASETS : MODELS)[m[2]];
  if (!repo) return fail(res, 401, 'RepoNotFound'); // what the real Hub answers an anonymous caller
  const denied = repo.access?.(req.headers.authorization);
  if (denied) return fail(res, denied.status, denied.code);
  const revName = decodeURIComponent(m[3]);
  const rev = Object.entries(repo.revisions).find(([name, r]) => name === revName || r.sha === revName)?.[1];
  if (!rev) return fail(res, 404, 'RevisionNotFound');
  if (api) {
    const names = [...Object.keys(rev.files), ...(rev.phantom ?? [])];
    const siblings = names.map((rfilename) => ({
      rfilename,
      ...(rev.hideSizes || searchParams.get('blobs') !== 'true'
        ? {}
        : { size: rev.files[rfilename]?.byteLength ?? 10 }),
    }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: m[2], sha: rev.sha, siblings }));
    return;
  }
  const path = m[4].split('/').map(decodeURIComponent).join('/');
  const body = rev.files[path];
  if (!body) return fail(res, 404, 'EntryNotFound');
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) });
  const piece = 4096;
  for (let i = 0; i < body.byteLength; i += piece) {
    if (res.destroyed) return;
    res.write(body.subarray(i, i + piece));
    if (repo.slow) await new Promise((r) => setTimeout(r, 20));
  }
  res.end();
}

// ---------- tests ----------

// ---------- per test file ----------

/** Starts the server before the file's tests, clears its request log before each, stops it after. */
export function localHubForThisFile(): { endpoint: string; log: Logged[]; resolveRequests(): Logged[] } {
  let server: Server | undefined;
  const hub = {
    endpoint: '',
    log: [] as Logged[],
    resolveRequests: () => hub.log.filter((l) => l.url.includes('/resolve/')),
  };
  beforeAll(async () => {
    const started = await startHub();
    server = started.server;
    hub.endpoint = started.endpoint;
    hub.log = started.log;
  });
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
  beforeEach(() => {
    hub.log.length = 0;
  });
  return hub;
}

export async function hubError(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    return err as HubError;
  }
  throw new Error('expected a HubError, but the load succeeded');
}
