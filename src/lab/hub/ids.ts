/**
 * Validation of everything a user (or a share link, or a downloaded index file) can put into a Hub
 * URL: repository ids, revisions, file paths inside a repository, and the endpoint itself.
 *
 * These strings come from hostile places (pasted links, a repo's own model.safetensors.index.json),
 * so each is checked against a strict whitelist before it becomes part of a URL or a cache key:
 * no `..` segments, no absolute paths or URLs, no characters that change how a URL parses.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** The Hub's public rule for owner and repository names (plus a length cap). */
const NAME_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const MAX_NAME_PART = 96;

/** A repository id `owner/name`, e.g. `openai-community/gpt2` or `jointpreferences/sft_and_pref_data`. */
export function checkRepoId(input: unknown): Checked<string> {
  if (typeof input !== 'string') return { ok: false, message: `must be a string "owner/name" (got ${typeof input})` };
  const id = input.trim();
  if (id === '') return { ok: false, message: 'is empty; give a Hub repository id such as "openai-community/gpt2"' };
  if (/^[a-z][a-z0-9+.-]*:/i.test(id) || id.startsWith('//')) {
    return {
      ok: false,
      message: `"${clip(id)}" is a URL; give only the repository id "owner/name" (the part after huggingface.co/)`,
    };
  }
  if (id.includes('..')) {
    return { ok: false, message: `"${clip(id)}" contains ".."; give only the repository id "owner/name"` };
  }
  const parts = id.split('/');
  if (parts.length === 1) {
    return {
      ok: false,
      message: `"${clip(id)}" has no owner; use the full id "owner/name" (e.g. "openai-community/gpt2")`,
    };
  }
  if (parts.length !== 2) {
    return { ok: false, message: `"${clip(id)}" must be exactly "owner/name" (one slash, no file path)` };
  }
  for (const part of parts) {
    if (part.length > MAX_NAME_PART || !NAME_PART.test(part) || part.includes('..') || part.includes('--')) {
      return {
        ok: false,
        message:
          `"${clip(id)}" is not a valid repository id: owner and name may use letters, digits, "-", "_" and ".", ` +
          `must start and end with a letter or digit, contain no ".." or "--", and be at most ${MAX_NAME_PART} characters`,
      };
    }
  }
  return { ok: true, value: id };
}

const REVISION_CHARS = /^[A-Za-z0-9._/-]+$/;

/** A branch, tag, `refs/pr/N` or commit hash. */
export function checkRevision(input: unknown): Checked<string> {
  if (typeof input !== 'string') return { ok: false, message: `must be a string such as "main" (got ${typeof input})` };
  if (input === '') return { ok: false, message: 'is empty; use "main" or a commit hash' };
  if (input.length > 255) return { ok: false, message: `is ${input.length} characters long; at most 255` };
  if (!REVISION_CHARS.test(input) || hasBadSegment(input)) {
    return {
      ok: false,
      message:
        `"${clip(input)}" is not a valid revision: use a branch, tag or commit hash made of letters, digits, ` +
        `".", "_", "-" and "/" (no ".." and no empty path segments)`,
    };
  }
  return { ok: true, value: input };
}

/** A characters whitelist for file paths inside a repository (the Hub allows more; models and datasets do not need it). */
const PATH_CHARS = /^[A-Za-z0-9._\-/ ()+=,@[\]]+$/;

/** A relative file path inside a repository, e.g. `model-00001-of-00002.safetensors` or `tldr/train.jsonl`. */
export function checkRepoPath(input: unknown): Checked<string> {
  if (typeof input !== 'string') return { ok: false, message: `must be a string file path (got ${typeof input})` };
  if (input === '') return { ok: false, message: 'is empty; give a file path inside the repository' };
  if (input.length > 1024) return { ok: false, message: `is ${input.length} characters long; at most 1024` };
  if (input.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(input)) {
    return {
      ok: false,
      message: `"${clip(input)}" must be a path relative to the repository root, not absolute or a URL`,
    };
  }
  if (!PATH_CHARS.test(input) || hasBadSegment(input)) {
    return {
      ok: false,
      message:
        `"${clip(input)}" is not a safe file path: use letters, digits, spaces and "._-/()+=,@[]" only, ` +
        `with no "..", "." or empty segments`,
    };
  }
  return { ok: true, value: input };
}

/** The Hub endpoint, e.g. `https://huggingface.co` or a mirror; returned without a trailing slash. */
export function checkEndpoint(input: unknown): Checked<string> {
  if (typeof input !== 'string') return { ok: false, message: 'must be a URL string such as "https://huggingface.co"' };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, message: `"${clip(input)}" is not a URL; use e.g. "https://huggingface.co"` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, message: `"${clip(input)}" must use http or https` };
  }
  if (url.search || url.hash || url.username || url.password) {
    return { ok: false, message: `"${clip(input)}" must not contain a query, fragment or credentials` };
  }
  return { ok: true, value: url.href.replace(/\/+$/, '') };
}

/** Encodes each path segment, so names with spaces or brackets survive and "/" stays a separator. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function hasBadSegment(path: string): boolean {
  return path.split('/').some((seg) => seg === '' || seg === '.' || seg === '..');
}

function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 77)}...` : printable;
}
