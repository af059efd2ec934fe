/**
 * The Hub loader against a local HTTP server (node:http on 127.0.0.1, random port) that serves the
 * Hub's URL layout with files made here: a safetensors file from a minimal writer, a config, a
 * tokenizer.json, a dataset JSONL. Every request is logged, so tests can assert what did (and did
 * not) go over the network.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FsFileCache } from '../../src/lab/hub/cache-fs.ts';
import {
  CacheStorageFileCache,
  checkRepoId,
  HubError,
  type HubProgress,
  listHubDatasetFiles,
  loadHubDatasetFile,
  loadHubModel,
  MemoryFileCache,
  parseJsonRows,
} from '../../src/lab/hub/index.ts';

// ---------- fixtures ----------

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

/** Minimal safetensors writer: u64 LE header length, JSON header padded to 8 bytes, F32 data. */
function writeSafetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
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
function readSafetensors(bytes: Uint8Array): Map<string, Float32Array> {
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

function ramp(n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * scale));
}

const SHA_MAIN = 'a'.repeat(40);
const SHA_PR = 'b'.repeat(40);
const SHA_OTHER = 'c'.repeat(40);

const WTE = ramp(64 * 512, 0.01); // 128 kB: several chunks, so several progress events
const WEIGHTS = writeSafetensors({
  'wte.weight': { shape: [64, 512], data: WTE },
  'ln.bias': { shape: [3], data: new Float32Array([1, 2, 3]) },
});
const TOKENIZER = json({ version: '1.0', model: { type: 'BPE', vocab: { a: 0, b: 1 }, merges: [] } });
const CONFIG_MAIN = json({ model_type: 'gpt2', n_embd: 512, n_layer: 2, note: 'main' });
const CONFIG_PR = json({ model_type: 'gpt2', n_embd: 512, n_layer: 2, note: 'pr' });
const SHARD1 = writeSafetensors({ 'a.weight': { shape: [4, 4], data: ramp(16, 0.3) } });
const SHARD2 = writeSafetensors({ 'b.weight': { shape: [2, 8], data: ramp(16, 0.7) } });
const DATA_ROWS = [
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
const DATA_JSONL = enc.encode(`${DATA_ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);

interface Revision {
  sha: string;
  files: Record<string, Uint8Array>;
  /** Files the listing names but the server answers 404 for (a broken repo). */
  phantom?: string[];
  /** Leave sizes out of the listing (then only Content-Length can tell). */
  hideSizes?: boolean;
}
interface Repo {
  revisions: Record<string, Revision>;
  access?: (auth: string | undefined) => { status: number; code: string } | null;
  /** Stream each file in 4 kB pieces with a pause between them. */
  slow?: boolean;
}

const MODEL_FILES = {
  'config.json': CONFIG_MAIN,
  'tokenizer.json': TOKENIZER,
  'tokenizer_config.json': json({ bos_token: 'a' }),
  'model.safetensors': WEIGHTS,
  'README.md': enc.encode('# tiny'),
};

const MODELS: Record<string, Repo> = {
  'test-org/tiny': {
    revisions: {
      main: { sha: SHA_MAIN, files: MODEL_FILES },
      'refs/pr/1': { sha: SHA_PR, files: { ...MODEL_FILES, 'config.json': CONFIG_PR } },
    },
  },
  'test-org/sharded': {
    revisions: {
      main: {
        sha: SHA_OTHER,
        files: {
          'config.json': CONFIG_MAIN,
          'tokenizer.json': TOKENIZER,
          'model.safetensors.index.json': json({
            metadata: {},
            weight_map: {
              'a.weight': 'model-00001-of-00002.safetensors',
              'b.weight': 'model-00002-of-00002.safetensors',
            },
          }),
          'model-00001-of-00002.safetensors': SHARD1,
          'model-00002-of-00002.safetensors': SHARD2,
        },
      },
    },
  },
  'test-org/evil-index': {
    revisions: {
      main: {
        sha: SHA_OTHER,
        files: {
          'config.json': CONFIG_MAIN,
          'tokenizer.json': TOKENIZER,
          'model.safetensors.index.json': json({
            weight_map: { 'a.weight': '../../test-org/tiny/resolve/main/model.safetensors' },
          }),
        },
      },
    },
  },
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
const DATASETS: Record<string, Repo> = {
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

interface Logged {
  url: string;
  auth: string | undefined;
}

function startHub(): Promise<{ server: Server; endpoint: string; log: Logged[] }> {
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

function fail(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}) });
  res.end(JSON.stringify({ error: code || `HTTP ${status}` }));
}

async function handle(req: IncomingMessage, res: ServerResponse, log: Logged[]): Promise<void> {
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

let hub: Awaited<ReturnType<typeof startHub>>;
beforeAll(async () => {
  hub = await startHub();
});
afterAll(() => new Promise<void>((r) => hub.server.close(() => r())));
beforeEach(() => {
  hub.log.length = 0;
});

async function hubError(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    return err as HubError;
  }
  throw new Error('expected a HubError, but the load succeeded');
}

const resolveRequests = () => hub.log.filter((l) => l.url.includes('/resolve/'));

describe('loadHubModel', () => {
  it('loads config, tokenizer and weights with progress events, byte-exact', async () => {
    const events: HubProgress[] = [];
    const files = await loadHubModel('test-org/tiny', {
      endpoint: hub.endpoint,
      cache: new MemoryFileCache(),
      onProgress: (p) => events.push(p),
    });
    expect(files.sha).toBe(SHA_MAIN);
    expect(files.config).toEqual({ model_type: 'gpt2', n_embd: 512, n_layer: 2, note: 'main' });
    expect(files.tokenizer).toEqual(JSON.parse(new TextDecoder().decode(TOKENIZER)));
    expect(files.tokenizerConfig).toEqual({ bos_token: 'a' });
    expect(files.generationConfig).toBeNull();
    expect(files.weightMap).toBeNull();
    expect(files.weights.map((w) => w.path)).toEqual(['model.safetensors']);
    const tensors = readSafetensors(files.weights[0].bytes);
    expect(tensors.get('wte.weight')).toEqual(WTE);
    expect([...(tensors.get('ln.bias') ?? [])]).toEqual([1, 2, 3]);
    // README.md is not downloaded; files are pinned to the listed commit.
    expect(resolveRequests().map((l) => l.url)).toEqual(
      ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map(
        (f) => `/test-org/tiny/resolve/${SHA_MAIN}/${f}`,
      ),
    );
    expect(hub.log[0].url).toBe('/api/models/test-org/tiny/revision/main?blobs=true');

    const expectedTotal =
      CONFIG_MAIN.byteLength + TOKENIZER.byteLength + json({ bos_token: 'a' }).byteLength + WEIGHTS.byteLength;
    expect(files.totalBytes).toBe(expectedTotal);
    const weightEvents = events.filter((e) => e.file === 'model.safetensors');
    expect(weightEvents.length).toBeGreaterThanOrEqual(3); // the 0-byte start plus at least two chunks
    for (let i = 1; i < weightEvents.length; i++)
      expect(weightEvents[i].loaded).toBeGreaterThanOrEqual(weightEvents[i - 1].loaded);
    expect(weightEvents.every((e) => e.total === WEIGHTS.byteLength && !e.fromCache)).toBe(true);
    const last = events[events.length - 1];
    expect(last).toMatchObject({
      loaded: WEIGHTS.byteLength,
      overallLoaded: expectedTotal,
      overallTotal: expectedTotal,
    });
  });

  it('serves a second load from the cache with no request at all', async () => {
    const cache = new MemoryFileCache();
    const first = await loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache });
    const requestsAfterFirst = hub.log.length;
    expect(requestsAfterFirst).toBe(5); // listing + 4 files
    const events: HubProgress[] = [];
    const second = await loadHubModel('test-org/tiny', {
      endpoint: hub.endpoint,
      cache,
      onProgress: (p) => events.push(p),
    });
    expect(hub.log.length).toBe(requestsAfterFirst);
    expect(second.weights[0].bytes).toEqual(first.weights[0].bytes);
    expect(second.config).toEqual(first.config);
    expect(events.length).toBe(4);
    expect(events.every((e) => e.fromCache && e.loaded === e.total)).toBe(true);
    // refresh re-reads the listing only; files of the same commit still come from the cache.
    await loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache, refresh: true });
    expect(hub.log.slice(requestsAfterFirst).map((l) => l.url)).toEqual([
      '/api/models/test-org/tiny/revision/main?blobs=true',
    ]);
  });

  it('loads the revision asked for: branch names are URL-encoded, files pinned to its commit', async () => {
    const cache = new MemoryFileCache();
    const pr = await loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache, revision: 'refs/pr/1' });
    expect(pr.config.note).toBe('pr');
    expect(pr.sha).toBe(SHA_PR);
    expect(pr.revision).toBe('refs/pr/1');
    expect(hub.log[0].url).toBe('/api/models/test-org/tiny/revision/refs%2Fpr%2F1?blobs=true');
    expect(resolveRequests().every((l) => l.url.startsWith(`/test-org/tiny/resolve/${SHA_PR}/`))).toBe(true);
    // Same cache, other revision: different files, not the PR's cached config.
    const main = await loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache, revision: SHA_MAIN });
    expect(main.config.note).toBe('main');
    const missing = await hubError(loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache, revision: 'v9' }));
    expect(missing.kind).toBe('repo-not-found');
    expect(missing.message).toContain('no revision "v9"');
  });

  it('loads a sharded model through its index, shards in index order', async () => {
    const files = await loadHubModel('test-org/sharded', { endpoint: hub.endpoint, cache: new MemoryFileCache() });
    expect(files.weights.map((w) => w.path)).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect(files.weightMap).toEqual({
      'a.weight': 'model-00001-of-00002.safetensors',
      'b.weight': 'model-00002-of-00002.safetensors',
    });
    expect(readSafetensors(files.weights[0].bytes).get('a.weight')).toEqual(ramp(16, 0.3));
    expect(readSafetensors(files.weights[1].bytes).get('b.weight')).toEqual(ramp(16, 0.7));
  });

  it('tells a missing repository from a missing file', async () => {
    const repo = await hubError(
      loadHubModel('test-org/does-not-exist', { endpoint: hub.endpoint, cache: new MemoryFileCache() }),
    );
    expect(repo.kind).toBe('repo-not-found');
    expect(repo.message).toContain('test-org/does-not-exist was not found');
    expect(repo.details.status).toBe(401);

    const file = await hubError(
      loadHubModel('test-org/broken', { endpoint: hub.endpoint, cache: new MemoryFileCache() }),
    );
    expect(file.kind).toBe('file-not-found');
    expect(file.details.path).toBe('model.safetensors');
    expect(file.details.status).toBe(404);
    expect(file.message).toContain('has no file "model.safetensors"');
    expect(resolveRequests().at(-1)?.url).toBe(`/test-org/broken/resolve/${SHA_OTHER}/model.safetensors`);
    hub.log.length = 0;

    const noTok = await hubError(
      loadHubModel('test-org/no-tokenizer', { endpoint: hub.endpoint, cache: new MemoryFileCache() }),
    );
    expect(noTok.kind).toBe('file-not-found');
    expect(noTok.message).toContain('no tokenizer.json');

    const ptOnly = await hubError(
      loadHubModel('test-org/pt-only', { endpoint: hub.endpoint, cache: new MemoryFileCache() }),
    );
    expect(ptOnly.kind).toBe('file-not-found');
    expect(ptOnly.message).toContain('found pytorch_model.bin');
    expect(resolveRequests()).toEqual([]); // decided from the listing alone
  });

  it('reports a gated repository with the remedy, and loads it with a token', async () => {
    const gated = await hubError(
      loadHubModel('test-org/gated', { endpoint: hub.endpoint, cache: new MemoryFileCache() }),
    );
    expect(gated.kind).toBe('unauthorized');
    expect(gated.message).toContain('accept the license on the Hub and paste a token');
    expect(gated.message).toContain(`${hub.endpoint}/test-org/gated`);

    const wrong = await hubError(
      loadHubModel('test-org/gated', { endpoint: hub.endpoint, cache: new MemoryFileCache(), token: 'hf_bad' }),
    );
    expect(wrong.kind).toBe('unauthorized');
    expect(wrong.message).toContain('not accepted');

    hub.log.length = 0;
    const ok = await loadHubModel('test-org/gated', {
      endpoint: hub.endpoint,
      cache: new MemoryFileCache(),
      token: 'hf_good',
    });
    expect(ok.config.model_type).toBe('gpt2');
    expect(hub.log.every((l) => l.auth === 'Bearer hf_good')).toBe(true);

    const forbidden = await hubError(
      loadHubModel('test-org/forbidden', { endpoint: hub.endpoint, cache: new MemoryFileCache(), token: 'hf_x' }),
    );
    expect(forbidden.kind).toBe('forbidden');
    expect(forbidden.details.status).toBe(403);
    expect(forbidden.message).toContain('accept the license');
  });

  it('refuses a load bigger than the budget before downloading any file, with the numbers', async () => {
    const budget = 100_000; // the weights alone are ~131 kB
    const err = await hubError(
      loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache: new MemoryFileCache(), maxBytes: budget }),
    );
    expect(err.kind).toBe('too-big');
    expect(resolveRequests()).toEqual([]);
    expect(err.details.bytesAllowed).toBe(budget);
    expect(err.details.bytesNeeded).toBeGreaterThan(WEIGHTS.byteLength);
    expect(err.message).toContain('100.0 kB');
    expect(err.message).toContain('model.safetensors: 131');

    // Without sizes in the listing, Content-Length decides before the body is read.
    const unsized = await hubError(
      loadHubModel('test-org/unsized', { endpoint: hub.endpoint, cache: new MemoryFileCache(), maxBytes: budget }),
    );
    expect(unsized.kind).toBe('too-big');
    expect(unsized.details.path).toBe('model.safetensors');
    // With enough budget the unsized repository loads; overall total stays unknown.
    const events: HubProgress[] = [];
    await loadHubModel('test-org/unsized', {
      endpoint: hub.endpoint,
      cache: new MemoryFileCache(),
      onProgress: (p) => events.push(p),
    });
    expect(events.every((e) => e.overallTotal === null)).toBe(true);
  });

  it('rejects hostile repository ids, revisions and endpoints before any request', async () => {
    const hostile = [
      '../etc/passwd',
      'test-org/../tiny',
      '..',
      'https://evil.example/x/y',
      '//evil.example/x',
      'test-org/tiny/resolve/main',
      'test-org/ti ny',
      'test-org/tiny?x=1',
      'test-org/tiny#a',
      '/test-org/tiny',
      'tiny',
      'test-org/tiny%2F..',
      'test-org/\u0000',
      `a/${'b'.repeat(200)}`,
      '',
    ];
    for (const id of hostile) {
      const err = await hubError(loadHubModel(id, { endpoint: hub.endpoint, cache: new MemoryFileCache() }));
      expect(err.kind, id).toBe('invalid-input');
    }
    for (const revision of ['../main', 'main/../../x', 'a b', '', '/main', 'main?x']) {
      const err = await hubError(loadHubModel('test-org/tiny', { endpoint: hub.endpoint, revision }));
      expect(err.kind, revision).toBe('invalid-input');
    }
    for (const endpoint of ['javascript:alert(1)', 'file:///etc', 'not a url', 'https://user:pw@hub.example']) {
      const err = await hubError(loadHubModel('test-org/tiny', { endpoint }));
      expect(err.kind, endpoint).toBe('invalid-input');
    }
    expect(hub.log).toEqual([]);
    expect(checkRepoId('tiny')).toMatchObject({ ok: false, message: expect.stringContaining('use the full id') });
    expect(checkRepoId('  test-org/tiny ')).toEqual({ ok: true, value: 'test-org/tiny' });

    // A repository's own index cannot point outside the repository.
    const evil = await hubError(
      loadHubModel('test-org/evil-index', { endpoint: hub.endpoint, cache: new MemoryFileCache() }),
    );
    expect(evil.kind).toBe('bad-response');
    expect(evil.message).toContain('unsafe');
    expect(resolveRequests().map((l) => l.url)).toEqual([
      `/test-org/evil-index/resolve/${SHA_OTHER}/model.safetensors.index.json`,
    ]);
  });

  it('cancels through the AbortSignal, mid-download and before starting', async () => {
    const controller = new AbortController();
    const err = await hubError(
      loadHubModel('test-org/slow', {
        endpoint: hub.endpoint,
        cache: new MemoryFileCache(),
        signal: controller.signal,
        onProgress: (p) => {
          if (p.file === 'model.safetensors' && p.loaded > 0) controller.abort();
        },
      }),
    );
    expect(err.kind).toBe('aborted');
    expect(err.message).toContain('cancelled');

    hub.log.length = 0;
    const pre = await hubError(loadHubModel('test-org/tiny', { endpoint: hub.endpoint, signal: AbortSignal.abort() }));
    expect(pre.kind).toBe('aborted');
    expect(hub.log).toEqual([]);
  });
});

describe('offline', () => {
  it('says "offline", lists cached files, and still loads what is fully cached', async () => {
    const local = await startHub();
    const cache = new MemoryFileCache();
    await loadHubModel('test-org/tiny', { endpoint: local.endpoint, cache });
    await new Promise<void>((r) => local.server.close(() => r()));

    const again = await loadHubModel('test-org/tiny', { endpoint: local.endpoint, cache });
    expect(again.config.note).toBe('main');

    const other = await hubError(
      loadHubModel('test-org/tiny', { endpoint: local.endpoint, cache, revision: 'refs/pr/1' }),
    );
    expect(other.kind).toBe('offline');
    expect(other.message).toContain('You appear to be offline');
    expect(other.message).toContain(`config.json (${SHA_MAIN})`);

    const cold = await hubError(
      loadHubModel('test-org/sharded', { endpoint: local.endpoint, cache: new MemoryFileCache() }),
    );
    expect(cold.kind).toBe('offline');
    expect(cold.message).toContain('No files of test-org/sharded are cached');
  });
});

describe('datasets', () => {
  it('lists JSON/JSONL files and loads one by repository id, revision and path', async () => {
    const cache = new MemoryFileCache();
    const listing = await listHubDatasetFiles('jointpreferences/sft_and_pref_data', { endpoint: hub.endpoint, cache });
    expect(listing.files.map((f) => f.path).sort()).toEqual(['rows.json', 'tldr/train_pref.jsonl']);
    expect(listing.files.find((f) => f.path === 'rows.json')?.size).toBe(json(DATA_ROWS).byteLength);

    const file = await loadHubDatasetFile('jointpreferences/sft_and_pref_data', 'tldr/train_pref.jsonl', {
      endpoint: hub.endpoint,
      cache,
    });
    expect(parseJsonRows(file.bytes, file.path)).toEqual(DATA_ROWS);
    expect(hub.log.map((l) => l.url)).toEqual([
      '/api/datasets/jointpreferences/sft_and_pref_data/revision/main?blobs=true',
      `/datasets/jointpreferences/sft_and_pref_data/resolve/${SHA_MAIN}/tldr/train_pref.jsonl`,
    ]);
    const arr = await loadHubDatasetFile('jointpreferences/sft_and_pref_data', 'rows.json', {
      endpoint: hub.endpoint,
      cache,
    });
    expect(parseJsonRows(arr.bytes, arr.path)).toEqual(DATA_ROWS);

    const missing = await hubError(
      loadHubDatasetFile('jointpreferences/sft_and_pref_data', 'nope.jsonl', { endpoint: hub.endpoint, cache }),
    );
    expect(missing.kind).toBe('file-not-found');
    for (const path of [
      '../../test-org/tiny/resolve/main/config.json',
      '/etc/passwd.json',
      'https://evil.example/a.jsonl',
      'README.md',
    ]) {
      const err = await hubError(
        loadHubDatasetFile('jointpreferences/sft_and_pref_data', path, { endpoint: hub.endpoint, cache }),
      );
      expect(err.kind, path).toBe('invalid-input');
    }
  });

  it('parseJsonRows names the file and line of a bad row', () => {
    expect(() => parseJsonRows(enc.encode('{"a":1}\n{"a":\n'), 'x.jsonl')).toThrow(/x\.jsonl:2: not valid JSON/);
    expect(() => parseJsonRows(enc.encode('{"a":1}\n[1]\n'), 'x.jsonl')).toThrow(/x\.jsonl:2: not a JSON object/);
    expect(() => parseJsonRows(enc.encode('[{"a":1}, 2]'), 'x.json')).toThrow(/item 1 is not a JSON object/);
  });
});

describe('caches', () => {
  it('FsFileCache round-trips, lists keys, and keeps hostile keys inside its folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orchard-hub-cache-'));
    try {
      const cache = new FsFileCache(join(dir, 'c'));
      expect(await cache.keys()).toEqual([]);
      expect(await cache.get('model:a/b@main:config.json')).toBeNull();
      await cache.put('model:a/b@main:config.json', CONFIG_MAIN);
      await cache.put('../../escape', enc.encode('x'));
      expect(await cache.get('model:a/b@main:config.json')).toEqual(CONFIG_MAIN);
      expect((await cache.keys()).sort()).toEqual(['../../escape', 'model:a/b@main:config.json']);
      expect(await readdir(dir)).toEqual(['c']);
      // A whole load through the folder cache, then a second one with no requests.
      await loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache });
      const n = hub.log.length;
      await loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache: new FsFileCache(join(dir, 'c')) });
      expect(hub.log.length).toBe(n);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failing cache (quota exceeded) does not fail a load the network can serve', async () => {
    const broken = {
      get: async () => {
        throw new Error('storage blocked');
      },
      put: async () => {
        throw new DOMException('quota', 'QuotaExceededError');
      },
      keys: async () => [],
    };
    const files = await loadHubModel('test-org/tiny', { endpoint: hub.endpoint, cache: broken });
    expect(readSafetensors(files.weights[0].bytes).get('wte.weight')).toEqual(WTE);
  });

  it('CacheStorageFileCache stores whole files under reserved URLs', async () => {
    // Node has Request/Response but no Cache Storage: a Map-backed stand-in with the same contract.
    const stores = new Map<string, Map<string, Response>>();
    const storage = {
      open: async (name: string) => {
        const store = stores.get(name) ?? new Map<string, Response>();
        stores.set(name, store);
        return {
          match: async (url: string) => store.get(url)?.clone(),
          put: async (url: string, r: Response) => void store.set(url, r),
          keys: async () => [...store.keys()].map((u) => new Request(u)),
        };
      },
    } as unknown as CacheStorage;
    const cache = new CacheStorageFileCache('orchard-test', storage);
    const key = 'model:test-org/tiny@aaaa:sub dir/model.safetensors';
    await cache.put(key, WEIGHTS);
    expect(await cache.get(key)).toEqual(WEIGHTS);
    expect(await cache.get('other')).toBeNull();
    expect(await cache.keys()).toEqual([key]);
    expect([...(stores.get('orchard-test')?.keys() ?? [])][0].startsWith(CacheStorageFileCache.KEY_ORIGIN)).toBe(true);
  });
});
