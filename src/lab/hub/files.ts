/**
 * The two things every Hub load does: read the repository's file listing (cached, so a repeat load
 * needs no network at all), and download a planned set of files through the cache with one byte
 * budget for the whole set, checked against the listed sizes before the first download starts.
 *
 * Cache keys: `{kind}:{repo}@{revision}:listing` for the listing, and
 * `{kind}:{repo}@{commit or revision}:{path}` for files. Files are keyed by the commit the listing
 * resolved, so after `refresh` a branch that moved downloads the new files instead of reusing old ones.
 */
import type { HubContext } from './context.ts';
import { formatBytes, HubError } from './errors.ts';
import { fileUrl, hubGet, listingUrl, readBody } from './http.ts';
import { checkRepoPath } from './ids.ts';

export interface RepoFile {
  path: string;
  /** Bytes, when the listing says. */
  size: number | null;
}

export interface RepoListing {
  /** The commit the revision resolved to, when the listing says. */
  sha: string | null;
  files: RepoFile[];
}

const MAX_LISTING_BYTES = 16 * 1024 * 1024;

export async function getListing(ctx: HubContext): Promise<RepoListing> {
  const key = `${ctx.kind}:${ctx.repo}@${ctx.revision}:listing`;
  const cached = ctx.refresh ? null : await cacheGet(ctx, key);
  if (cached) return parseListing(ctx, cached);
  const res = await hubGet(ctx, listingUrl(ctx), { listing: true }, () => offlineHint(ctx));
  const bytes = await readBody(ctx, res, {
    path: 'file listing',
    expectedSize: null,
    budgetLeft: MAX_LISTING_BYTES,
    budgetMessage: (n) => `the file listing of ${ctx.repo} is ${formatBytes(n)}, more than a listing can be`,
    onBytes: () => {},
  });
  const listing = parseListing(ctx, bytes);
  await cachePut(ctx, key, bytes);
  return listing;
}

function parseListing(ctx: HubContext, bytes: Uint8Array): RepoListing {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HubError('bad-response', `the file listing of ${ctx.repo} is not JSON; is ${ctx.endpoint} a Hub?`, {
      repo: ctx.repo,
    });
  }
  const siblings = isRecord(json) ? json.siblings : undefined;
  if (!Array.isArray(siblings)) {
    throw new HubError(
      'bad-response',
      `the file listing of ${ctx.repo} has no "siblings" list; is ${ctx.endpoint} a Hub?`,
      {
        repo: ctx.repo,
      },
    );
  }
  const files: RepoFile[] = [];
  for (const s of siblings) {
    if (!isRecord(s) || !checkRepoPath(s.rfilename).ok) continue; // names we could never request safely
    const lfsSize = isRecord(s.lfs) ? s.lfs.size : undefined;
    const size = [s.size, lfsSize].find((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
    files.push({ path: s.rfilename as string, size: (size as number | undefined) ?? null });
  }
  const sha = isRecord(json) && typeof json.sha === 'string' && /^[0-9a-f]{40}$/.test(json.sha) ? json.sha : null;
  return { sha, files };
}

/**
 * Loads `paths` (each must be in the listing) through the cache. Throws 'too-big' before any
 * download when the listed sizes already exceed the budget, and during a download as soon as the
 * actual bytes do. `alreadyLoaded` counts bytes of earlier phases of the same load against the budget.
 */
export async function loadFiles(
  ctx: HubContext,
  listing: RepoListing,
  paths: string[],
  alreadyLoaded = 0,
): Promise<Map<string, Uint8Array>> {
  const planned = paths.map((path) => {
    const file = listing.files.find((f) => f.path === path);
    if (!file) throw missingFile(ctx, path);
    return file;
  });
  const knownTotal = planned.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const allKnown = planned.every((f) => f.size !== null);
  const budgetMessage = (needed: number) =>
    `${ctx.repo} needs ${formatBytes(needed)} but this device allows ${formatBytes(ctx.maxBytes)} ` +
    `(${planned.map((f) => `${f.path}: ${f.size === null ? 'size unknown' : formatBytes(f.size)}`).join(', ')}); ` +
    'pick a smaller model or raise the memory budget';
  if (alreadyLoaded + knownTotal > ctx.maxBytes) {
    throw new HubError('too-big', budgetMessage(alreadyLoaded + knownTotal), {
      repo: ctx.repo,
      bytesNeeded: alreadyLoaded + knownTotal,
      bytesAllowed: ctx.maxBytes,
    });
  }

  const out = new Map<string, Uint8Array>();
  const overallTotal = allKnown ? knownTotal : null;
  let overallLoaded = 0;
  let used = alreadyLoaded;
  let reservedAhead = knownTotal;
  for (const file of planned) {
    reservedAhead -= file.size ?? 0;
    const key = `${ctx.kind}:${ctx.repo}@${listing.sha ?? ctx.revision}:${file.path}`;
    let bytes = await cacheGet(ctx, key);
    if (bytes) {
      ctx.onProgress({
        file: file.path,
        loaded: bytes.byteLength,
        total: bytes.byteLength,
        fromCache: true,
        overallLoaded: overallLoaded + bytes.byteLength,
        overallTotal,
      });
    } else {
      // Pin the download to the listed commit, so all files of one load come from the same commit.
      const url = fileUrl(ctx, file.path, listing.sha ?? ctx.revision);
      const res = await hubGet(ctx, url, { listing: false, path: file.path }, () => offlineHint(ctx));
      const before = overallLoaded;
      bytes = await readBody(ctx, res, {
        path: file.path,
        expectedSize: file.size,
        budgetLeft: ctx.maxBytes - used - reservedAhead,
        budgetMessage: (n) => budgetMessage(used + reservedAhead + n),
        onBytes: (loaded, total) =>
          ctx.onProgress({
            file: file.path,
            loaded,
            total,
            fromCache: false,
            overallLoaded: before + loaded,
            overallTotal,
          }),
      });
      await cachePut(ctx, key, bytes);
    }
    overallLoaded += bytes.byteLength;
    used += bytes.byteLength;
    out.set(file.path, bytes);
  }
  return out;
}

/**
 * The cache is an optimisation: a failing one (quota exceeded, storage cleared or blocked) must
 * not fail a load that the network can serve, so its errors count as misses.
 */
async function cacheGet(ctx: HubContext, key: string): Promise<Uint8Array | null> {
  try {
    return await ctx.cache.get(key);
  } catch {
    return null;
  }
}

async function cachePut(ctx: HubContext, key: string, bytes: Uint8Array): Promise<void> {
  try {
    await ctx.cache.put(key, bytes);
  } catch {
    // Not cached this time; the next load downloads the file again.
  }
}

export function missingFile(ctx: HubContext, path: string): HubError {
  return new HubError('file-not-found', `${ctx.kind} ${ctx.repo} (revision ${ctx.revision}) has no file "${path}"`, {
    repo: ctx.repo,
    path,
  });
}

/** "Cached files for owner/name: a, b" (or that there are none), for the offline message. */
async function offlineHint(ctx: HubContext): Promise<string> {
  const prefix = `${ctx.kind}:${ctx.repo}@`;
  let keys: string[] = [];
  try {
    keys = (await ctx.cache.keys()).filter((k) => k.startsWith(prefix) && !k.endsWith(':listing'));
  } catch {
    // A broken cache must not hide the real (network) error.
  }
  if (keys.length === 0) return `No files of ${ctx.repo} are cached on this device; connect and try again.`;
  const names = keys.map((k) => {
    const rest = k.slice(prefix.length);
    const colon = rest.indexOf(':');
    return `${rest.slice(colon + 1)} (${rest.slice(0, colon)})`;
  });
  return `Cached files of ${ctx.repo}: ${names.join(', ')}; a load of the same revision works offline once its file list is cached too.`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
