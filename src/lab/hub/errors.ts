/**
 * One error type for everything that can go wrong while loading from the Hub. `kind` is for code
 * (the UI picks a remedy from it); `message` is for people and always says what failed, where, and
 * what to do about it.
 */
export type HubErrorKind =
  | 'invalid-input' // a repo id, revision, path or endpoint failed validation (see ids.ts)
  | 'repo-not-found' // the repository (or the revision) does not exist
  | 'file-not-found' // the repository exists but this file does not
  | 'unauthorized' // 401: gated or private; needs a token (and accepting the license)
  | 'forbidden' // 403: the token has no access to this repository
  | 'offline' // fetch failed at the network level
  | 'too-big' // the files exceed the caller's byte budget; nothing (more) was downloaded
  | 'aborted' // the caller's AbortSignal fired
  | 'bad-response' // the server answered something that is not what the Hub would send
  | 'http'; // any other HTTP error status

export interface HubErrorDetails {
  repo?: string;
  path?: string;
  url?: string;
  status?: number;
  /** For 'offline': cache keys that are available without the network. */
  cachedFiles?: string[];
  /** For 'too-big': what was asked for and what the budget allows, in bytes. */
  bytesNeeded?: number;
  bytesAllowed?: number;
}

export class HubError extends Error {
  readonly kind: HubErrorKind;
  readonly details: HubErrorDetails;

  constructor(kind: HubErrorKind, message: string, details: HubErrorDetails = {}) {
    super(message);
    this.name = 'HubError';
    this.kind = kind;
    this.details = details;
  }
}

/** Human-readable byte counts for messages ("1.5 MB"), decimal units like the Hub shows. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
