/**
 * Share links: the whole experiment spec (seed, runs and small data edits included) in a URL
 * fragment, `#v1.<base64url(deflate-raw(JSON))>`. The fragment never reaches a server, and the
 * versioned prefix lets a later format coexist with old links.
 *
 * Decoding treats the link as hostile: it never throws and never hangs. Each stage has a cap
 * (fragment length, decompressed size read incrementally so a zip bomb stops at the cap, JSON
 * nesting depth) and a typed error; prototype-polluting keys are refused; the result must pass
 * `validateSpec`, which also migrates older spec versions.
 *
 * `v1` is the link format; the spec inside carries its own version. Links made now hold spec
 * version 2 (per-objective defaults, no reference mode); links holding a version-1 spec still open,
 * migrated with every value they stored, so they reproduce the same numbers.
 *
 * Also here: `parseViewFlags`, the teacher-mode query flags (`?hide=data,optimizer&lesson=...`).
 */
import { concatBytes } from './hub/bytes.ts';
import { type ExperimentSpec, FORBIDDEN_KEYS, formatSpecErrors, type SpecError, validateSpec } from './spec.ts';

export const SHARE_LINK_VERSION = 1;

export interface ShareLinkLimits {
  /** Longest fragment produced without `tooLarge`, and longest accepted by decode (characters). */
  maxFragmentChars: number;
  /** Most bytes the JSON may inflate to. */
  maxJsonBytes: number;
  /** Deepest nesting of JSON objects and arrays (a spec needs 5). */
  maxDepth: number;
}

export const SHARE_LINK_LIMITS: ShareLinkLimits = {
  maxFragmentChars: 8 * 1024,
  maxJsonBytes: 256 * 1024,
  maxDepth: 32,
};

export interface EncodedShareLink {
  /** `#v1.…`, ready to append to the page URL. */
  fragment: string;
  /** Length of the fragment in bytes (it is ASCII). */
  bytes: number;
  /** Past `maxFragmentChars`: offer a spec file download instead of a link. */
  tooLarge: boolean;
  limit: number;
}

/** Encodes a spec; throws only if the spec itself is invalid (a link that could never open). */
export async function encodeShareLink(
  spec: ExperimentSpec,
  limits: Partial<ShareLinkLimits> = {},
): Promise<EncodedShareLink> {
  const { maxFragmentChars } = { ...SHARE_LINK_LIMITS, ...limits };
  const checked = validateSpec(spec);
  if (!checked.ok) throw new Error(`cannot share an invalid spec:\n${formatSpecErrors(checked.errors)}`);
  const json = new TextEncoder().encode(JSON.stringify(checked.spec));
  const fragment = `#v${SHARE_LINK_VERSION}.${base64UrlEncode(await deflateRaw(json))}`;
  return { fragment, bytes: fragment.length, tooLarge: fragment.length > maxFragmentChars, limit: maxFragmentChars };
}

export type ShareLinkErrorCode =
  | 'empty' // nothing after '#'
  | 'notShareLink' // no `v<N>.` prefix
  | 'version' // a link format this build does not read
  | 'tooLarge' // fragment longer than the cap
  | 'base64' // characters outside base64url, or an impossible length
  | 'corrupt' // not valid deflate data (e.g. truncated when copied)
  | 'bomb' // inflates past maxJsonBytes
  | 'encoding' // not UTF-8 text
  | 'json' // not JSON
  | 'tooDeep' // nested deeper than maxDepth
  | 'unsafe' // contains __proto__ / constructor / prototype keys
  | 'notObject' // JSON, but not an object
  | 'invalid'; // an object that fails validateSpec (see specErrors)

export interface ShareLinkError {
  code: ShareLinkErrorCode;
  message: string;
  specErrors?: SpecError[];
}

export type DecodedShareLink = { ok: true; spec: ExperimentSpec } | { ok: false; error: ShareLinkError };

/** Accepts a fragment (with or without '#') or a whole URL. Never throws. */
export async function decodeShareLink(input: string, limits: Partial<ShareLinkLimits> = {}): Promise<DecodedShareLink> {
  try {
    return await decode(input, { ...SHARE_LINK_LIMITS, ...limits });
  } catch (err) {
    // Every known failure is handled below; this is the promise not to throw for unknown ones.
    return failure('corrupt', `this link could not be read (${err instanceof Error ? err.message : String(err)})`);
  }
}

async function decode(input: string, limits: ShareLinkLimits): Promise<DecodedShareLink> {
  if (typeof input !== 'string') return failure('empty', 'no share link was given');
  const hash = input.indexOf('#');
  // Whitespace never belongs to a link; mail clients insert it when they wrap long lines.
  const fragment = (hash >= 0 ? input.slice(hash + 1) : input).replace(/\s+/g, '');
  if (fragment === '') return failure('empty', 'the link has no experiment in it (nothing after "#")');
  if (fragment.length > limits.maxFragmentChars) {
    return failure(
      'tooLarge',
      `the link's experiment is ${fragment.length} characters, more than the ${limits.maxFragmentChars} a link may carry; share it as a spec file instead`,
    );
  }
  const prefix = fragment.match(/^v(\d{1,6})\./);
  if (!prefix) {
    return failure(
      'notShareLink',
      'this is not an Orchard experiment link (it should end in "#v1." followed by the experiment)',
    );
  }
  const version = Number(prefix[1]);
  if (version !== SHARE_LINK_VERSION) {
    return failure(
      'version',
      version > SHARE_LINK_VERSION
        ? `this link was made by a newer Orchard (link format v${version}); this page reads v${SHARE_LINK_VERSION}: update the page`
        : `link format v${version} is unknown; this page reads v${SHARE_LINK_VERSION}`,
    );
  }
  const compressed = base64UrlDecode(fragment.slice(prefix[0].length));
  if (!compressed) {
    return failure(
      'base64',
      'the link is damaged (it contains characters a share link never has); copy the whole link again',
    );
  }
  const inflated = await inflateRaw(compressed, limits.maxJsonBytes);
  if (inflated === 'corrupt') {
    return failure(
      'corrupt',
      'the link is damaged or cut short (its data does not decompress); copy the whole link again',
    );
  }
  if (inflated === 'bomb') {
    return failure(
      'bomb',
      `the link's experiment unpacks to more than ${limits.maxJsonBytes} bytes; refusing to open it`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(inflated);
  } catch {
    return failure('encoding', 'the link does not contain text; copy the whole link again');
  }
  if (tooDeep(text, limits.maxDepth)) {
    return failure(
      'tooDeep',
      `the link's data is nested more than ${limits.maxDepth} levels deep; an experiment never is`,
    );
  }
  let value: unknown;
  let unsafeKey: string | null = null;
  try {
    value = JSON.parse(text, function reviver(key, v) {
      if ((FORBIDDEN_KEYS as readonly string[]).includes(key)) unsafeKey = key;
      return v;
    });
  } catch {
    return failure('json', 'the link does not contain a valid experiment (not JSON); copy the whole link again');
  }
  if (unsafeKey !== null)
    return failure('unsafe', `the link contains the forbidden field name "${unsafeKey}"; refusing to open it`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return failure('notObject', 'the link does not contain an experiment (expected a JSON object)');
  }
  const checked = validateSpec(value);
  if (!checked.ok) {
    const shown = checked.errors.slice(0, 3).map((e) => `${e.path || '(spec)'}: ${e.message}`);
    const more = checked.errors.length > 3 ? ` (and ${checked.errors.length - 3} more)` : '';
    return {
      ok: false,
      error: {
        code: 'invalid',
        message: `the link's experiment is not valid: ${shown.join('; ')}${more}`,
        specErrors: checked.errors,
      },
    };
  }
  return { ok: true, spec: checked.spec };
}

function failure(code: ShareLinkErrorCode, message: string): DecodedShareLink {
  return { ok: false, error: { code, message } };
}

// ---------- compression ----------

async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflates, reading chunk by chunk and cancelling as soon as the output passes `maxBytes`. */
async function inflateRaw(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array | 'corrupt' | 'bomb'> {
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  // Not awaited: the writes finish only as the output is read. Their errors surface in read().
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        return 'bomb';
      }
      chunks.push(value);
    }
  } catch {
    return 'corrupt';
  }
  return concatBytes(chunks, total);
}

// ---------- base64url (RFC 4648 §5, no padding) ----------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function base64UrlEncode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += ALPHABET[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

/** Null for anything that is not unpadded base64url. */
export function base64UrlDecode(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    acc = (acc << 6) | ALPHABET.indexOf(text[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}

/** True when brackets outside strings nest deeper than `max` (checked before JSON.parse recurses). */
function tooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) {
      inString = true;
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      depth--;
    }
  }
  return false;
}

// ---------- teacher-mode view flags ----------

/** Spec sections a teacher can hide from students. */
export const HIDEABLE_SECTIONS = [
  'model',
  'data',
  'pairing',
  'edits',
  'sft',
  'runs',
  'optimizer',
  'schedule',
  'lora',
  'eval',
  'backend',
] as const;
export type HideableSection = (typeof HIDEABLE_SECTIONS)[number];

/** Sections older links may name that no longer exist, with what became of them. */
const RETIRED_SECTIONS: Readonly<Record<string, string>> = {
  reference:
    'the reference-model setting was removed in spec version 2 (the reference is always the frozen starting model), so there is nothing to hide',
};

export interface ViewFlags {
  /** `?hide=data,optimizer`: sections not shown. */
  hide: HideableSection[];
  /** `?lesson=beta-too-low`: the lesson to open, if any. */
  lesson: string | null;
  /** `?readonly=1`: students see the spec but cannot edit it. */
  readonly: boolean;
}

const KNOWN_FLAGS = ['hide', 'lesson', 'readonly'] as const;
const MAX_QUERY_CHARS = 2000;

/**
 * Reads teacher-mode flags from a query string (with or without '?') or a whole URL. Only known
 * flags and values are kept; everything else is ignored with a warning, never an exception.
 * `lessons`, when given, is the whitelist of lesson ids.
 */
export function parseViewFlags(
  input: string,
  opts: { lessons?: readonly string[] } = {},
): { flags: ViewFlags; warnings: string[] } {
  const flags: ViewFlags = { hide: [], lesson: null, readonly: false };
  const warnings: string[] = [];
  if (typeof input !== 'string') return { flags, warnings };
  let query = input;
  const q = query.indexOf('?');
  if (q >= 0) query = query.slice(q + 1);
  const hash = query.indexOf('#');
  if (hash >= 0) query = query.slice(0, hash);
  if (query.length > MAX_QUERY_CHARS) {
    warnings.push(`the query is ${query.length} characters; only the first ${MAX_QUERY_CHARS} were read`);
    query = query.slice(0, MAX_QUERY_CHARS);
  }
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return { flags, warnings: [...warnings, 'the query could not be read'] };
  }
  for (const [name, raw] of params) {
    const value = raw.trim();
    if (!(KNOWN_FLAGS as readonly string[]).includes(name)) {
      warnings.push(`unknown flag "${clip(name)}" ignored (known: ${KNOWN_FLAGS.join(', ')})`);
    } else if (name === 'hide') {
      for (const part of value.split(',')) {
        const section = part.trim().toLowerCase();
        if (section === '') continue;
        if (Object.hasOwn(RETIRED_SECTIONS, section)) {
          warnings.push(`hide: section "${section}" ignored: ${RETIRED_SECTIONS[section]}`);
        } else if (!(HIDEABLE_SECTIONS as readonly string[]).includes(section)) {
          warnings.push(`hide: unknown section "${clip(section)}" ignored (sections: ${HIDEABLE_SECTIONS.join(', ')})`);
        } else if (!flags.hide.includes(section as HideableSection)) {
          flags.hide.push(section as HideableSection);
        }
      }
    } else if (name === 'lesson') {
      if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(value)) {
        warnings.push(`lesson: "${clip(value)}" is not a lesson id (lowercase letters, digits and "-")`);
      } else if (opts.lessons && !opts.lessons.includes(value)) {
        warnings.push(`lesson: there is no lesson "${value}"`);
      } else {
        flags.lesson = value;
      }
    } else if (['', '1', 'true', 'yes'].includes(value.toLowerCase())) {
      flags.readonly = true;
    } else if (['0', 'false', 'no'].includes(value.toLowerCase())) {
      flags.readonly = false;
    } else {
      warnings.push(`readonly: "${clip(value)}" is not 1/true or 0/false; ignored`);
    }
  }
  return { flags, warnings };
}

function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 37)}...` : printable;
}
