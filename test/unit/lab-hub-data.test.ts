/** The Hub loader offline, its dataset files, and its caches, against a local Hub (hub-fixture.ts). */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsFileCache } from '../../src/lab/hub/cache-fs.ts';
import {
  CacheStorageFileCache,
  listHubDatasetFiles,
  loadHubDatasetFile,
  loadHubModel,
  MemoryFileCache,
  parseJsonRows,
} from '../../src/lab/hub/index.ts';
import {
  CONFIG_MAIN,
  DATA_ROWS,
  enc,
  hubError,
  json,
  localHubForThisFile,
  readSafetensors,
  SHA_MAIN,
  startHub,
  WEIGHTS,
  WTE,
} from './hub-fixture.ts';

const hub = localHubForThisFile();

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
