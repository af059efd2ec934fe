/**
 * Options every Hub load accepts, and their validation into one `HubContext` that the request and
 * download code share. Validation happens here, once, before any URL is built.
 */
import { CacheStorageFileCache, type FileCache, MemoryFileCache } from './cache.ts';
import { HubError } from './errors.ts';
import { checkEndpoint, checkRepoId, checkRevision } from './ids.ts';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubProgress {
  /** The file this event is about (path inside the repository). */
  file: string;
  /** Bytes of this file received so far (equal to `total` when it came from the cache). */
  loaded: number;
  /** The file's size, from the listing or Content-Length; null while unknown. */
  total: number | null;
  fromCache: boolean;
  /** Bytes of all planned files loaded so far, and their total when every size is known. */
  overallLoaded: number;
  overallTotal: number | null;
}

export interface HubOptions {
  /** Branch, tag, `refs/pr/N` or commit hash. Default 'main'. */
  revision?: string;
  /** Default https://huggingface.co; tests point this at a local server. */
  endpoint?: string;
  /** A Hub access token (sent as `Authorization: Bearer`), needed for gated or private repositories. */
  token?: string | null;
  /** Default: Cache Storage where the runtime has it (browsers), else a fresh in-memory cache. */
  cache?: FileCache;
  /** Re-read the repository listing from the network even when a cached one exists. */
  refresh?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: HubProgress) => void;
  /** Refuse, before downloading, a load whose files add up to more bytes than this. Default: no limit. */
  maxBytes?: number;
  /** Default: globalThis.fetch. */
  fetch?: typeof fetch;
}

export type RepoKind = 'model' | 'dataset';

export interface HubContext {
  kind: RepoKind;
  repo: string;
  revision: string;
  endpoint: string;
  token: string | null;
  cache: FileCache;
  refresh: boolean;
  signal: AbortSignal | undefined;
  onProgress: (p: HubProgress) => void;
  maxBytes: number;
  fetch: typeof fetch;
}

export function makeContext(kind: RepoKind, repo: string, opts: HubOptions): HubContext {
  const id = checkRepoId(repo);
  if (!id.ok) throw new HubError('invalid-input', `${kind} repository id ${id.message}`, { repo: String(repo) });
  const revision = checkRevision(opts.revision ?? 'main');
  if (!revision.ok) throw new HubError('invalid-input', `revision ${revision.message}`, { repo: id.value });
  const endpoint = checkEndpoint(opts.endpoint ?? DEFAULT_ENDPOINT);
  if (!endpoint.ok) throw new HubError('invalid-input', `Hub endpoint ${endpoint.message}`, { repo: id.value });
  const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  if (!(maxBytes > 0)) {
    throw new HubError('invalid-input', `maxBytes must be a positive number of bytes (got ${opts.maxBytes})`);
  }
  const token = opts.token?.trim() || null;
  if (token !== null && !/^[\x21-\x7e]+$/.test(token)) {
    throw new HubError('invalid-input', 'the Hub token contains spaces or non-ASCII characters; paste it again');
  }
  const fetchFn = opts.fetch ?? globalThis.fetch;
  return {
    kind,
    repo: id.value,
    revision: revision.value,
    endpoint: endpoint.value,
    token,
    cache: opts.cache ?? defaultFileCache(),
    refresh: opts.refresh ?? false,
    signal: opts.signal,
    onProgress: opts.onProgress ?? (() => {}),
    maxBytes,
    fetch: (input, init) => fetchFn(input, init),
  };
}

/** Cache Storage in browsers (files survive reloads), memory elsewhere. */
export function defaultFileCache(): FileCache {
  return 'caches' in globalThis ? new CacheStorageFileCache() : new MemoryFileCache();
}

/** The web page of a repository (what a user opens to accept a license). */
export function repoPageUrl(ctx: HubContext): string {
  return `${ctx.endpoint}/${ctx.kind === 'dataset' ? 'datasets/' : ''}${ctx.repo}`;
}
