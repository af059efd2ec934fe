import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/random.ts';
import {
  base64UrlDecode,
  base64UrlEncode,
  decodeShareLink,
  encodeShareLink,
  parseViewFlags,
  type ShareLinkErrorCode,
} from '../../src/lab/share-link.ts';
import { DEFAULT_SPEC, type ExperimentSpec, withDefaults } from '../../src/lab/spec.ts';

/** A link built with Node's zlib and Buffer, independently of the code under test. */
const linkOf = (payload: string | Uint8Array) =>
  `#v1.${Buffer.from(deflateRawSync(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload)).toString('base64url')}`;

async function errorCode(input: string, limits = {}): Promise<ShareLinkErrorCode> {
  const r = await decodeShareLink(input, limits);
  if (r.ok) throw new Error('expected the link to be refused');
  expect(r.error.message.length).toBeGreaterThan(20);
  return r.error.code;
}

/** Classroom comparison with a student's data edits, four runs and a hub model: what a teacher shares. */
function richSpec(): ExperimentSpec {
  return withDefaults({
    name: 'β sweep with a hand-made pair',
    seed: 2024,
    model: { source: 'hub', repo: 'openai-community/gpt2', revision: 'e7da7f221d5bf496a48136c0cd264e630fe9fcc8' },
    data: {
      edits: {
        add: [
          {
            i_chosen: 'Create a list of four fruits',
            r_chosen: 'Apple, Orange, Banana, Grape',
            i_reject: 'Create a list of beach activities',
            r_reject: "wear sunscreen, don't litter",
          },
        ],
        remove: [3, 17],
      },
    },
    runs: [
      { objective: 'dpo' },
      { objective: 'jpo' },
      { objective: 'jpo', beta: 0.01, label: 'JPO β=0.01' },
      { objective: 'ipo', beta: 0.5 },
    ],
  });
}

describe('encodeShareLink / decodeShareLink', () => {
  it('round-trips the whole spec: seed, runs, data edits', async () => {
    for (const spec of [DEFAULT_SPEC, richSpec()]) {
      const link = await encodeShareLink(spec);
      expect(link.fragment).toMatch(/^#v1\.[A-Za-z0-9_-]+$/);
      expect(link.bytes).toBe(link.fragment.length);
      expect(link.tooLarge).toBe(false);
      expect(link.limit).toBe(8192);
      const back = await decodeShareLink(link.fragment);
      expect(back).toEqual({ ok: true, spec });
      // Also from a whole URL with teacher flags, and without the '#'.
      expect(await decodeShareLink(`https://orchard.example/lab?hide=data${link.fragment}`)).toEqual({
        ok: true,
        spec,
      });
      expect(await decodeShareLink(link.fragment.slice(1))).toEqual({ ok: true, spec });
      // A link a mail client wrapped over several lines still opens.
      const wrapped = link.fragment.replace(/(.{60})/g, '$1\n  ');
      expect(await decodeShareLink(wrapped)).toEqual({ ok: true, spec });
    }
    // Measured sizes (reported to the lead): the defaults and the four-run spec.
    const sizes = [(await encodeShareLink(DEFAULT_SPEC)).bytes, (await encodeShareLink(richSpec())).bytes];
    console.log(`share link bytes: default ${sizes[0]}, four runs + edits ${sizes[1]}`);
    expect(sizes[1]).toBeLessThan(2000);
  });

  it('writes standard deflate-raw + base64url JSON (checked with node:zlib and Buffer)', async () => {
    const spec = richSpec();
    const { fragment } = await encodeShareLink(spec);
    const json = inflateRawSync(Buffer.from(fragment.slice('#v1.'.length), 'base64url')).toString('utf8');
    expect(JSON.parse(json)).toEqual(spec);
    // And it reads links made by other tools.
    expect(await decodeShareLink(linkOf(JSON.stringify(spec)))).toEqual({ ok: true, spec });
    // Equal specs give equal links, whatever order their fields were written in.
    const reordered = Object.fromEntries(Object.entries(spec).reverse()) as unknown as ExperimentSpec;
    expect((await encodeShareLink(reordered)).fragment).toBe(fragment);
  });

  it('base64url matches Buffer for every length', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, () => rng.int(256));
      const text = base64UrlEncode(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(base64UrlDecode(text)).toEqual(bytes);
    }
    for (const bad of ['a', 'abcde', 'ab+c', 'ab/c', 'ab=c', 'ab c', 'é']) expect(base64UrlDecode(bad), bad).toBeNull();
  });

  it('reports tooLarge past the cap, so the UI offers a file instead', async () => {
    const rng = new Rng(1);
    const noise = () => Array.from({ length: 1500 }, () => String.fromCharCode(97 + rng.int(26))).join('');
    const big = withDefaults({
      data: {
        edits: {
          add: Array.from({ length: 8 }, () => ({
            i_chosen: noise(),
            r_chosen: noise(),
            i_reject: noise(),
            r_reject: noise(),
          })),
        },
      },
    });
    const link = await encodeShareLink(big);
    expect(link.tooLarge).toBe(true);
    expect(link.bytes).toBeGreaterThan(8192);
    expect(await errorCode(link.fragment)).toBe('tooLarge');
    // The cap is a parameter: a generous page can still open it.
    expect(await decodeShareLink(link.fragment, { maxFragmentChars: 100_000 })).toEqual({ ok: true, spec: big });
  });

  it('throws when asked to share an invalid spec (a link that could never open)', async () => {
    const bad = structuredClone(DEFAULT_SPEC);
    bad.runs[1].beta = -1;
    await expect(encodeShareLink(bad)).rejects.toThrow(/runs\[1\]\.beta: must be a number > 0/);
  });
});

describe('hostile and corrupt links: a clear error, never a throw or a hang', () => {
  it('refuses malformed fragments', async () => {
    expect(await errorCode('')).toBe('empty');
    expect(await errorCode('https://orchard.example/lab#')).toBe('empty');
    expect(await errorCode('#hello')).toBe('notShareLink');
    expect(await errorCode('#v2.AAAA')).toBe('version');
    expect(await errorCode('#v0.AAAA')).toBe('version');
    expect(await errorCode('#v1.ab$c')).toBe('base64');
    expect(await errorCode('#v1.abcde')).toBe('base64');
    expect(await errorCode(`#v1.${'A'.repeat(9000)}`)).toBe('tooLarge');
    expect(await errorCode(undefined as unknown as string)).toBe('empty');
  });

  it('refuses truncated or garbage deflate data', async () => {
    const bytes = deflateRawSync(Buffer.from(JSON.stringify(DEFAULT_SPEC)));
    const truncated = `#v1.${Buffer.from(bytes.subarray(0, bytes.length - 20)).toString('base64url')}`;
    expect(await errorCode(truncated)).toBe('corrupt');
    expect(await errorCode(`#v1.${Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]).toString('base64url')}`)).toBe('corrupt');
    expect(await errorCode('#v1.')).toBe('corrupt');
  });

  it('stops a zip bomb at the decompressed-size cap', async () => {
    // 4 MB of JSON whitespace deflates to a few kB: a link that fits the fragment cap.
    const bomb = linkOf(Buffer.concat([Buffer.alloc(4 * 1024 * 1024, 0x20), Buffer.from('{}')]));
    expect(bomb.length).toBeLessThan(8192);
    expect(await errorCode(bomb)).toBe('bomb');
    // The same JSON under a smaller cap, and a valid spec under a cap below its size.
    expect(await errorCode(linkOf(JSON.stringify(DEFAULT_SPEC)), { maxJsonBytes: 100 })).toBe('bomb');
  });

  it('refuses what is not UTF-8, not JSON, too deep, not an object, or prototype-polluting', async () => {
    expect(await errorCode(linkOf(Uint8Array.from([0xff, 0xfe, 0x7b])))).toBe('encoding');
    expect(await errorCode(linkOf('{"version": 1,'))).toBe('json');
    expect(await errorCode(linkOf(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe('tooDeep');
    expect(await errorCode(linkOf(`{"a":${'{"a":'.repeat(40)}1${'}'.repeat(41)}`))).toBe('tooDeep');
    for (const json of ['42', '"spec"', 'null', '[1, 2]', 'true'])
      expect(await errorCode(linkOf(json)), json).toBe('notObject');
    const spec = JSON.stringify(DEFAULT_SPEC).slice(1, -1);
    expect(await errorCode(linkOf(`{"__proto__": {"polluted": true}, ${spec}}`))).toBe('unsafe');
    expect(await errorCode(linkOf(`{${spec}, "runs": [{"constructor": {"prototype": {"polluted": true}}}]}`))).toBe(
      'unsafe',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Strings that merely contain brackets or the words are fine.
    const tricky = withDefaults({ name: 'a [[[{{{ "__proto__" name' });
    expect(await decodeShareLink((await encodeShareLink(tricky)).fragment)).toEqual({ ok: true, spec: tricky });
  });

  it('refuses valid JSON that is not a valid spec, with the spec errors', async () => {
    const bad = structuredClone(DEFAULT_SPEC);
    bad.runs[1].beta = -1;
    bad.steps = 1e9;
    const r = await decodeShareLink(linkOf(JSON.stringify(bad)));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid');
      expect(r.error.specErrors?.map((e) => e.path)).toEqual(['runs[1].beta', 'steps']);
      expect(r.error.message).toContain('runs[1].beta: must be a number > 0');
    }
    const newer = await decodeShareLink(linkOf(JSON.stringify({ ...DEFAULT_SPEC, version: DEFAULT_SPEC.version + 1 })));
    expect(!newer.ok && newer.error.message).toContain('newer Orchard');
  });

  it('survives random corruption of a real link', async () => {
    const { fragment } = await encodeShareLink(richSpec());
    const rng = new Rng(99);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const codes = new Set<string>();
    for (let trial = 0; trial < 150; trial++) {
      const chars = [...fragment];
      for (let k = 0; k <= trial % 3; k++) chars[4 + rng.int(chars.length - 4)] = alphabet[rng.int(64)];
      const cut = trial % 5 === 0 ? rng.int(chars.length) : chars.length;
      const r = await decodeShareLink(chars.slice(0, cut).join(''));
      codes.add(r.ok ? 'ok' : r.error.code);
    }
    expect(codes.has('corrupt')).toBe(true);
    for (const c of codes)
      expect(['ok', 'base64', 'corrupt', 'encoding', 'json', 'invalid', 'notShareLink', 'empty']).toContain(c);
  });
});

describe('parseViewFlags', () => {
  it('reads hide, lesson and readonly', () => {
    expect(parseViewFlags('?hide=data,optimizer&lesson=beta-too-low')).toEqual({
      flags: { hide: ['data', 'optimizer'], lesson: 'beta-too-low', readonly: false },
      warnings: [],
    });
    const url = 'https://orchard.example/lab?hide=Data&hide=lora,%20data&readonly=1#v1.AAAA';
    expect(parseViewFlags(url)).toEqual({
      flags: { hide: ['data', 'lora'], lesson: null, readonly: true },
      warnings: [],
    });
    expect(parseViewFlags('readonly').flags.readonly).toBe(true);
    expect(parseViewFlags('readonly=false').flags.readonly).toBe(false);
    expect(parseViewFlags('')).toEqual({ flags: { hide: [], lesson: null, readonly: false }, warnings: [] });
  });

  it('ignores unknown flags and values with a warning, and checks lessons against a whitelist', () => {
    const r = parseViewFlags('?hide=data,secrets&debug=1&lesson=<script>&readonly=maybe');
    expect(r.flags).toEqual({ hide: ['data'], lesson: null, readonly: false });
    expect(r.warnings).toEqual([
      expect.stringContaining('hide: unknown section "secrets"'),
      expect.stringContaining('unknown flag "debug"'),
      expect.stringContaining('lesson: "<script>" is not a lesson id'),
      expect.stringContaining('readonly: "maybe"'),
    ]);
    const lessons = ['beta-too-low', 'joint-pairs'];
    expect(parseViewFlags('lesson=joint-pairs', { lessons }).flags.lesson).toBe('joint-pairs');
    const unknown = parseViewFlags('lesson=made-up', { lessons });
    expect(unknown.flags.lesson).toBeNull();
    expect(unknown.warnings[0]).toContain('no lesson "made-up"');
    const long = parseViewFlags(`hide=${'data,'.repeat(2000)}`);
    expect(long.flags.hide).toEqual(['data']);
    expect(long.warnings[0]).toContain('only the first 2000 were read');
  });

  it('accepts the retired "reference" section of version-1 teacher links with a warning that says why', () => {
    const r = parseViewFlags('?hide=reference,data');
    expect(r.flags.hide).toEqual(['data']);
    expect(r.warnings).toEqual([
      expect.stringMatching(/hide: section "reference" ignored: .*removed in spec version 2/),
    ]);
  });
});
