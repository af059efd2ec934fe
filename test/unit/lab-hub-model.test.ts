import { describe, expect, it } from 'vitest';
import { checkRepoId, type HubProgress, loadHubModel, MemoryFileCache } from '../../src/lab/hub/index.ts';
import {
  CONFIG_MAIN,
  hubError,
  json,
  localHubForThisFile,
  ramp,
  readSafetensors,
  SHA_MAIN,
  SHA_OTHER,
  SHA_PR,
  TOKENIZER,
  WEIGHTS,
  WTE,
} from './hub-fixture.ts';

const hub = localHubForThisFile();
const resolveRequests = () => hub.resolveRequests();

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
