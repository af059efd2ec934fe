/**
 * Where downloaded Hub files are kept between loads. The loader only needs three operations, so
 * the browser (Cache Storage, which survives reloads), tests (memory) and the CLI (a folder, see
 * ./cache-fs.ts, Node only) each provide a small implementation.
 *
 * Keys are opaque strings built by the loader from validated parts (layout in ./files.ts); values
 * are whole files. A file is only stored once it has been downloaded completely.
 */
export interface FileCache {
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Every stored key (used to tell an offline user what is available). */
  keys(): Promise<string[]>;
}

export class MemoryFileCache implements FileCache {
  private readonly entries = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | null> {
    return this.entries.get(key) ?? null;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    // Keep a private copy: the caller may reuse or transfer its buffer.
    this.entries.set(key, bytes.slice());
  }

  async keys(): Promise<string[]> {
    return [...this.entries.keys()];
  }
}

/**
 * Browser cache backed by the Cache Storage API (available in pages and workers on secure origins).
 * Cache Storage is keyed by URL, so each key becomes a URL under a reserved, never-fetched host.
 */
export class CacheStorageFileCache implements FileCache {
  static readonly KEY_ORIGIN = 'https://orchard-file-cache.invalid/';
  private cache: Promise<Cache> | null = null;

  constructor(
    private readonly cacheName = 'orchard-hub-v1',
    private readonly storage: CacheStorage | undefined = (globalThis as { caches?: CacheStorage }).caches,
  ) {}

  async get(key: string): Promise<Uint8Array | null> {
    const hit = await (await this.open()).match(toUrl(key));
    return hit ? new Uint8Array(await hit.arrayBuffer()) : null;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const body = bytes.slice().buffer;
    const response = new Response(body, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
    });
    await (await this.open()).put(toUrl(key), response);
  }

  async keys(): Promise<string[]> {
    const requests = await (await this.open()).keys();
    return requests
      .map((r) => r.url)
      .filter((url) => url.startsWith(CacheStorageFileCache.KEY_ORIGIN))
      .map((url) => decodeURIComponent(url.slice(CacheStorageFileCache.KEY_ORIGIN.length)));
  }

  private open(): Promise<Cache> {
    if (!this.storage) {
      throw new Error(
        'Cache Storage is not available here (it needs a browser page or worker on https or localhost); ' +
          'use MemoryFileCache, or FsFileCache in Node',
      );
    }
    this.cache ??= this.storage.open(this.cacheName);
    return this.cache;
  }
}

function toUrl(key: string): string {
  return CacheStorageFileCache.KEY_ORIGIN + encodeURIComponent(key);
}
