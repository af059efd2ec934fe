/**
 * HTTP for the Hub: one GET that turns every failure into a HubError with a remedy, and a body
 * reader that streams with progress, honours the AbortSignal and stops as soon as the byte budget
 * is exceeded (Content-Length is checked before the first byte is read).
 */
import { concatBytes } from './bytes.ts';
import { type HubContext, repoPageUrl } from './context.ts';
import { formatBytes, HubError } from './errors.ts';
import { encodePath } from './ids.ts';

/** What a request is for: the repository listing, or one file. Decides how a 404 reads. */
export type HubTarget = { listing: true } | { listing: false; path: string };

export function listingUrl(ctx: HubContext): string {
  return `${ctx.endpoint}/api/${ctx.kind}s/${ctx.repo}/revision/${encodeURIComponent(ctx.revision)}?blobs=true`;
}

export function fileUrl(ctx: HubContext, path: string, revision = ctx.revision): string {
  const prefix = ctx.kind === 'dataset' ? 'datasets/' : '';
  return `${ctx.endpoint}/${prefix}${ctx.repo}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

/** GET `url`; resolves only with a 2xx response. `offlineHint` lists cached files for the offline message. */
export async function hubGet(
  ctx: HubContext,
  url: string,
  target: HubTarget,
  offlineHint: () => Promise<string>,
): Promise<Response> {
  throwIfAborted(ctx, target);
  const headers: Record<string, string> = {};
  if (ctx.token) headers.authorization = `Bearer ${ctx.token}`;
  let res: Response;
  try {
    res = await ctx.fetch(url, { headers, signal: ctx.signal, redirect: 'follow' });
  } catch (err) {
    throwIfAborted(ctx, target);
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new HubError(
      'offline',
      `You appear to be offline: could not reach ${ctx.endpoint} (${reason}) while loading ${describe(ctx, target)}. ` +
        (await offlineHint()),
      { repo: ctx.repo, url, ...(target.listing ? {} : { path: target.path }) },
    );
  }
  if (res.ok) return res;
  await res.body?.cancel().catch(() => {});
  throw statusError(ctx, res, url, target);
}

function statusError(ctx: HubContext, res: Response, url: string, target: HubTarget): HubError {
  const code = res.headers.get('x-error-code') ?? '';
  const details = { repo: ctx.repo, url, status: res.status, ...(target.listing ? {} : { path: target.path }) };
  const kindName = ctx.kind === 'dataset' ? 'dataset' : 'model';
  const page = repoPageUrl(ctx);
  if (res.status === 404 || (res.status === 401 && code === 'RepoNotFound')) {
    if (code === 'RevisionNotFound') {
      return new HubError(
        'repo-not-found',
        `${kindName} ${ctx.repo} has no revision "${ctx.revision}" (HTTP ${res.status}); use "main", or a branch, tag or commit listed on ${page}`,
        details,
      );
    }
    if (!target.listing && code !== 'RepoNotFound') {
      return new HubError(
        'file-not-found',
        `${kindName} ${ctx.repo} (revision ${ctx.revision}) has no file "${target.path}" (HTTP ${res.status}); see the files on ${page}`,
        details,
      );
    }
    const privateHint =
      res.status === 401 || !ctx.token ? ' If it is private, paste a Hub token with read access.' : '';
    return new HubError(
      'repo-not-found',
      `${kindName} repository ${ctx.repo} was not found at ${ctx.endpoint} (HTTP ${res.status}); check the spelling "owner/name".${privateHint}`,
      details,
    );
  }
  if (res.status === 401) {
    const gated = code === 'GatedRepo' ? ' is gated:' : ' needs authorization (gated or private):';
    const fix = ctx.token
      ? 'the token you gave was not accepted; check that it is current and has read access, and that you accepted the license'
      : 'accept the license on the Hub and paste a token';
    return new HubError('unauthorized', `${kindName} ${ctx.repo}${gated} ${fix} (${page}). HTTP 401.`, details);
  }
  if (res.status === 403) {
    return new HubError(
      'forbidden',
      `access to ${kindName} ${ctx.repo} is forbidden (HTTP 403): accept the license on the Hub (${page}) and paste a token ` +
        'that has read access to it (fine-grained tokens need "read access to public gated repos")',
      details,
    );
  }
  return new HubError(
    'http',
    `loading ${describe(ctx, target)} failed with HTTP ${res.status} ${res.statusText}; try again later`,
    details,
  );
}

export interface BodyLimits {
  path: string;
  /** Size from the listing, if known; the Content-Length must agree. */
  expectedSize: number | null;
  /** Most bytes this body may have before the load is refused as too big. */
  budgetLeft: number;
  /** Text for the too-big message ("the whole load needs ..."). */
  budgetMessage: (needed: number) => string;
  onBytes: (loaded: number, total: number | null) => void;
}

export async function readBody(ctx: HubContext, res: Response, limits: BodyLimits): Promise<Uint8Array> {
  const target: HubTarget = { listing: false, path: limits.path };
  const header = res.headers.get('content-length');
  const contentLength = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  const total = contentLength ?? limits.expectedSize;
  if (total !== null && total > limits.budgetLeft) {
    await res.body?.cancel().catch(() => {});
    throw tooBig(ctx, limits, total);
  }
  if (!res.body) {
    throw new HubError('bad-response', `the server sent no body for "${limits.path}"`, { repo: ctx.repo });
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  limits.onBytes(0, total);
  try {
    for (;;) {
      throwIfAborted(ctx, target);
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.byteLength;
      if (loaded > limits.budgetLeft) throw tooBig(ctx, limits, Math.max(loaded, total ?? 0));
      chunks.push(value);
      limits.onBytes(loaded, total);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throwIfAborted(ctx, target);
    if (err instanceof HubError) throw err;
    throw new HubError(
      'offline',
      `the download of "${limits.path}" from ${ctx.repo} broke off after ${formatBytes(loaded)} (${err instanceof Error ? err.message : String(err)}); check the connection and try again`,
      { repo: ctx.repo, path: limits.path },
    );
  }
  if (contentLength !== null && loaded !== contentLength) {
    throw new HubError(
      'bad-response',
      `"${limits.path}" arrived with ${loaded} bytes but the server announced ${contentLength}; try again`,
      { repo: ctx.repo, path: limits.path },
    );
  }
  return concatBytes(chunks, loaded);
}

function tooBig(ctx: HubContext, limits: BodyLimits, needed: number): HubError {
  return new HubError('too-big', limits.budgetMessage(needed), {
    repo: ctx.repo,
    path: limits.path,
    bytesNeeded: needed,
    bytesAllowed: limits.budgetLeft,
  });
}

export function throwIfAborted(ctx: HubContext, target: HubTarget): void {
  if (ctx.signal?.aborted) {
    throw new HubError('aborted', `loading ${describe(ctx, target)} was cancelled`, { repo: ctx.repo });
  }
}

function describe(ctx: HubContext, target: HubTarget): string {
  return target.listing ? `the file list of ${ctx.repo}` : `"${target.path}" from ${ctx.repo}`;
}
