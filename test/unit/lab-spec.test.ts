import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SPEC,
  type ExperimentSpec,
  effectiveRunParams,
  formatSpecDiff,
  formatSpecErrors,
  migrateSpec,
  parseSpec,
  parseSpecJson,
  SPEC_LIMITS,
  type SpecError,
  specDiff,
  validateSpec,
  withDefaults,
} from '../../src/lab/spec.ts';

const copy = (): ExperimentSpec => structuredClone(DEFAULT_SPEC);

/** Changes to make: path ('runs[1].beta') to new value; undefined deletes the field. */
type Edits = Record<string, unknown>;
type Edit = Edits | ((s: ExperimentSpec) => void);

function setPath(target: unknown, path: string, value: unknown): void {
  const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
  let node = target as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/** Errors of the default spec changed by `edit` (asserts that validation failed). */
function errorsOf(edit: Edit): SpecError[] {
  const s = copy();
  if (typeof edit === 'function') edit(s);
  else for (const [path, value] of Object.entries(edit)) setPath(s, path, value);
  const r = validateSpec(s);
  if (r.ok) throw new Error('expected validation to fail');
  return r.errors;
}

function errorAt(path: string, edit: Edit): string {
  const errors = errorsOf(edit);
  const hit = errors.find((e) => e.path === path);
  if (!hit) throw new Error(`no error at ${path}; got:\n${formatSpecErrors(errors)}`);
  return hit.message;
}

/** Every leaf path of a JSON value, lists of objects written as `name[]`. */
function leafPaths(v: unknown, path = ''): string[] {
  if (Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null)) {
    return v.flatMap((x) => leafPaths(x, `${path}[]`));
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    return Object.entries(v).flatMap(([k, x]) => leafPaths(x, path ? `${path}.${k}` : k));
  }
  return [path];
}

describe('DEFAULT_SPEC and the field table', () => {
  it('is valid, JSON-serialisable, and what withDefaults() gives', () => {
    const r = validateSpec(DEFAULT_SPEC);
    expect(r).toEqual({ ok: true, spec: DEFAULT_SPEC });
    expect(JSON.parse(JSON.stringify(DEFAULT_SPEC))).toEqual(DEFAULT_SPEC);
    expect(withDefaults()).toEqual(DEFAULT_SPEC);
    expect(withDefaults({})).toEqual(DEFAULT_SPEC);
    // A fresh copy each time: editing it does not touch the defaults.
    const s = withDefaults();
    s.runs[0].beta = 9;
    s.lora.targetModules.push('o');
    expect(DEFAULT_SPEC.runs[0].beta).toBeUndefined();
    expect(DEFAULT_SPEC.lora.targetModules).toEqual(['q', 'k', 'v']);
    expect(() => {
      DEFAULT_SPEC.runs[0].label = 'x';
    }).toThrow(TypeError);
  });

  it('is the classroom DPO-vs-JPO comparison of the brief and the paper', () => {
    // β is left to the objectives, whose own default is the paper's 0.1.
    expect(DEFAULT_SPEC.runs).toEqual([
      { label: 'DPO', objective: 'dpo', pairs: 'conditional' },
      { label: 'JPO', objective: 'jpo', pairs: 'both' },
    ]);
    expect(DEFAULT_SPEC.runs.map((r) => effectiveRunParams(r))).toEqual([
      { beta: 0.1, labelSmoothing: 0, simpoGamma: 0.5, orpoLambda: 0.1 },
      { beta: 0.1, labelSmoothing: 0, simpoGamma: 0.5, orpoLambda: 0.1 },
    ]);
    expect(DEFAULT_SPEC.lora).toEqual({ enabled: true, r: 8, alpha: 16, targetModules: ['q', 'k', 'v'] });
    expect(DEFAULT_SPEC.data.template).toBe('### Instructions: {instruction}\n\n### Response:');
    expect(DEFAULT_SPEC.model).toEqual({ source: 'bundled', id: 'orchard-tiny-2' });
    expect(DEFAULT_SPEC.version).toBe(2);
  });

  it('documents every field of every variant in docs/spec.md, and nothing else', () => {
    const text = readFileSync(new URL('../../docs/spec.md', import.meta.url), 'utf8');
    const documented = new Set([...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
    const variants = [
      DEFAULT_SPEC,
      // Optional fields, given.
      withDefaults({
        data: { separator: 'none', truncation: 'trl' },
        lora: { dropout: 0.05 },
        precision: 'f16-weights',
        attention: 'fused',
        lmHead: 'chunked',
        runs: [{ objective: 'cdpo', beta: 1, labelSmoothing: 0.1, simpoGamma: 1, orpoLambda: 1 }],
      }),
      withDefaults({ model: { source: 'hub', repo: 'a/b' }, data: { source: 'hub', repo: 'a/b', file: 'x.jsonl' } }),
      withDefaults({ model: { source: 'local', path: '/m' }, data: { source: 'file', path: 'x.jsonl' }, sft: {} }),
      withDefaults({ data: { source: 'file', rows: [{ prompt: 'p', chosen: 'c', rejected: 'r' }] } }),
      withDefaults({ eval: { test: { source: 'file', path: 't.jsonl' } } }),
      withDefaults({ eval: { test: { source: 'hub', repo: 'a/b', file: 't.jsonl' } } }),
      withDefaults({ data: { source: 'paper' }, eval: { test: { source: 'paper' } } }),
    ];
    const paths = new Set(
      variants.flatMap((v) => leafPaths(v)).map((p) => p.replace(/^data\.(rows|edits\.add)\[\].*$/, 'data.$1')),
    );
    paths.add('sft');
    paths.add('runs');
    for (const p of paths) expect(documented, `field ${p} is not in the table`).toContain(p);
    for (const d of documented) expect(paths, `the table documents ${d}, which is not a field`).toContain(d);
  });
});

describe('validateSpec', () => {
  it('names the field, the value and the fix', () => {
    const beta = errorAt('runs[1].beta', (s) => {
      s.runs[1].beta = -1;
    });
    expect(beta).toContain('must be a number > 0 and ≤ 100 (got -1)');
    expect(beta).toContain('paper uses 0.1');
    expect(errorAt('seed', { seed: '42' })).toMatch(/got "42"\); remove the quotes/);
    expect(errorAt('seed', { seed: 1.5 })).toMatch(/whole number ≥ 0 and ≤ 4294967295 \(got 1\.5\)/);
    expect(errorAt('seed', { seed: 2 ** 32 })).toContain('got 4294967296');
    expect(errorAt('runs[0].objective', { 'runs[0].objective': 'dop' })).toContain('did you mean "dpo"?');
    expect(errorAt('optimizer.lernRate', { 'optimizer.lernRate': 1 })).toContain('is not a field here');
    expect(errorAt('optimizer.Lr', { 'optimizer.Lr': 1 })).toContain('did you mean "lr"?');
    expect(errorAt('eval.topK', { 'eval.topK': undefined })).toBe('is missing; add it (default: 0)');
    expect(errorAt('schedule.kind', { 'schedule.kind': undefined })).toBe('is missing; add it (default: "cosine")');
    expect(errorAt('runs[1].label', { 'runs[1].label': undefined })).toBe('is missing; add it');
    expect(errorAt('runs[0].bta', { 'runs[0].bta': 0.2 })).toBe('is not a field here; did you mean "beta"?');
    expect(errorAt('reference', { reference: 'precomputed' })).toContain('removed in spec version 2');
    expect(errorAt('runs[0].beta', { 'runs[0].beta': Number.POSITIVE_INFINITY })).toContain('got Infinity');
    expect(errorAt('runs[0].labelSmoothing', { 'runs[0].labelSmoothing': 0.5 })).toContain('< 0.5');
  });

  it('enforces the bounds that protect the browser', () => {
    const bounds: [string, Edit][] = [
      ['steps', { steps: SPEC_LIMITS.steps.max + 1 }],
      ['batchSize', { batchSize: 257 }],
      ['batchSize', { batchSize: 0 }],
      ['data.maxLength', { 'data.maxLength': 4097 }],
      ['data.nInstructions', { 'data.nInstructions': 1e9 }],
      ['lora.r', { 'lora.r': 1024 }],
      ['eval.maxNewTokens', { 'eval.maxNewTokens': 5000 }],
      ['optimizer.lr', { 'optimizer.lr': 0 }],
      ['gradAccumulation', { gradAccumulation: 1000 }],
      ['runs', { runs: [] }],
      ['runs', (s) => s.runs.push(...structuredClone(s.runs), structuredClone(s.runs[0]))],
      ['name', { name: 'x'.repeat(101) }],
      [
        'data.edits.add',
        { 'data.edits.add': Array(65).fill({ i_chosen: 'a', r_chosen: 'b', i_reject: 'a', r_reject: 'c' }) },
      ],
    ];
    for (const [path, edit] of bounds) expect(errorAt(path, edit), path).toMatch(/^must be/);
  });

  it('checks fields against each other', () => {
    expect(errorAt('runs[0].pairs', { 'runs[0].pairs': 'both' })).toContain(
      'objective "dpo" scores log π(y|x) under one shared instruction',
    );
    expect(
      errorAt('runs[1].pairs', (s) => {
        s.data.pairing.mode = 'conditional';
      }),
    ).toContain('data.pairing.mode is "conditional"');
    expect(errorAt('runs[1].label', { 'runs[1].label': 'DPO' })).toContain('also the label of runs[0]');
    // The v2 default is equal epochs (steps null).
    expect(errorAt('steps', { steps: 2 })).toContain('exactly one of "steps" and "epochs"');
    expect(errorAt('steps', { epochs: null })).toContain('exactly one');
    expect(errorAt('schedule.warmupSteps', { steps: 60, epochs: null, 'schedule.warmupSteps': 60 })).toContain(
      'less than steps (60)',
    );
    expect(errorAt('runs[0].pairs', { 'runs[0].objective': 'simpo', 'runs[0].pairs': 'joint' })).toContain(
      'set pairs to "conditional", or the objective to "jpo"',
    );
    expect(errorAt('data.maxPromptLength', { 'data.maxPromptLength': 64 })).toContain('less than data.maxLength (64)');
    expect(errorAt('data.template', { 'data.template': '{instruction} {instruction}' })).toContain('exactly once');
    const fileData = (s: ExperimentSpec) => {
      s.data = { ...withDefaults({ data: { source: 'file', path: 'x.jsonl' } }).data, pairing: s.data.pairing };
    };
    expect(errorAt('data.pairing.judge', fileData)).toContain('"annotator" answers with the exact checker of a task');
    expect(errorAt('eval.judge', fileData)).toContain('needs data.source "task"');
    // Valid alternatives pass: JPO on joint pairs only, SFT on both, steps instead of epochs.
    const ok = copy();
    ok.runs[1].pairs = 'joint';
    ok.runs[0] = { label: 'SFT', objective: 'sft', pairs: 'both' };
    ok.steps = 40;
    ok.epochs = null;
    expect(validateSpec(ok).ok).toBe(true);
  });

  it('checks sources: hub ids, variants, file path vs rows, edits', () => {
    const hub = (s: ExperimentSpec, repo: string, revision = 'main') => {
      s.model = { source: 'hub', repo, revision };
    };
    expect(errorAt('model.repo', (s) => hub(s, '../etc/passwd'))).toContain('contains ".."');
    expect(errorAt('model.repo', (s) => hub(s, 'a/b c'))).toContain('not a valid repository id');
    expect(errorAt('model.repo', (s) => hub(s, 'https://evil.example/a/b'))).toContain('is a URL');
    expect(errorAt('model.revision', (s) => hub(s, 'a/b', 'x/../y'))).toContain('not a valid revision');
    expect(errorAt('model.repo', { 'model.repo': 'a/b' })).toContain('belongs to model.source "hub", not "bundled"');
    expect(errorAt('model.source', { 'model.source': 'hf' })).toContain('must be one of "bundled", "hub", "local"');
    const fileData = withDefaults({ data: { source: 'file', path: 'a.jsonl' } }).data;
    expect(errorAt('data', { data: { ...fileData, rows: [{ a: 'b' }] } })).toContain('got both');
    expect(errorAt('data', { data: { ...fileData, path: undefined } })).toContain('got neither');
    const rows = (r: unknown[]) => (s: ExperimentSpec) => {
      s.data = withDefaults({ data: { source: 'file', rows: r as never, pairing: { judge: 'human' } } }).data;
      s.eval.judge = 'human';
    };
    expect(errorAt('data.rows[0].x', rows([{ x: { nested: 1 } }]))).toContain('must be text, a number');
    expect(errorAt('data.rows[0].constructor', rows([JSON.parse('{"constructor": "x"}')]))).toContain(
      'not an allowed field name',
    );
    expect(errorAt('data.rows[1]', rows([{ a: 'b' }, 'str']))).toContain('must be an object');
    const fileOk = copy();
    rows([{ prompt: 'p', chosen: 'c', rejected: 'r' }])(fileOk);
    expect(validateSpec(fileOk).ok).toBe(true);

    expect(
      errorAt('data.edits.add[0].r_reject', (s) =>
        s.data.edits.add.push({ i_chosen: 'a', r_chosen: 'b', i_reject: 'a' } as never),
      ),
    ).toContain('is missing');
    expect(errorAt('data.edits.remove[1]', { 'data.edits.remove': [3, 3] })).toContain('twice');
    expect(errorAt('data.edits.remove[0]', { 'data.edits.remove': [-1] })).toContain('got -1');
    expect(errorAt('lora.targetModules[1]', { 'lora.targetModules': ['q', 'q'] })).toContain('twice');
    expect(errorAt('lora.targetModules[0]', { 'lora.targetModules': ['c_attn'] })).toContain('must be one of "q"');
  });

  it('rejects wrong versions and non-objects with one clear error', () => {
    const one = (x: unknown) => {
      const r = validateSpec(x);
      if (r.ok) throw new Error('expected failure');
      expect(r.errors).toHaveLength(1);
      return r.errors[0];
    };
    const { version: _v, ...noVersion } = copy();
    expect(one(noVersion)).toEqual({ path: 'version', message: expect.stringContaining('add "version": 2') });
    expect(one({ ...copy(), version: 3 }).message).toContain('made by a newer Orchard');
    expect(one({ ...copy(), version: '1' }).message).toContain('not a known spec version');
    expect(one({ ...copy(), version: 0 }).message).toContain('the versions are 1 to 2');
    for (const x of [null, [], 'spec', 42, undefined]) expect(one(x).message).toContain('must be a JSON object');
  });

  it('reports every problem at once, and refuses prototype keys without being polluted by them', () => {
    const errors = errorsOf((s) => {
      s.runs[1].beta = -1;
      s.optimizer.lr = 7;
      s.backend = 'gpu' as never;
      s.lora.r = 0;
    });
    expect(errors.map((e) => e.path)).toEqual(['runs[1].beta', 'optimizer.lr', 'lora.r', 'backend']);
    const hostile = JSON.parse(
      `{"__proto__": {"polluted": true}, ${JSON.stringify(DEFAULT_SPEC).slice(1, -1)}, "x": {"constructor": {"prototype": {"polluted": true}}}}`,
    );
    const r = validateSpec(hostile);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(['__proto__', 'x']);
    const viaDefaults = parseSpec(JSON.parse('{"version": 1, "eval": {"__proto__": {"polluted": true}}}'));
    expect(viaDefaults.ok).toBe(false);
    if (!viaDefaults.ok)
      expect(viaDefaults.errors[0]).toMatchObject({
        path: 'eval.__proto__',
        message: expect.stringContaining('forbidden'),
      });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns a canonical deep copy: same spec, same JSON, whatever the key order', () => {
    const shuffled = Object.fromEntries(Object.entries(copy()).reverse());
    const optimizer = Object.fromEntries(Object.entries(DEFAULT_SPEC.optimizer).reverse());
    setPath(shuffled, 'optimizer', optimizer);
    const r = validateSpec(shuffled);
    expect(r.ok && JSON.stringify(r.spec)).toBe(JSON.stringify(DEFAULT_SPEC));
    if (r.ok) expect(r.spec.optimizer).not.toBe(optimizer);
  });
});

describe('withDefaults and parseSpec', () => {
  it('fills variants, derived defaults and runs', () => {
    const s = withDefaults({
      model: { source: 'hub', repo: 'openai-community/gpt2' },
      data: { source: 'hub', repo: 'jointpreferences/sft_and_pref_data', file: 'tldr/train.jsonl' },
      runs: [{ objective: 'dpo' }, { objective: 'dpo', beta: 0.5 }, { objective: 'jpo', label: 'mine' }],
      epochs: 2,
    });
    expect(s.model).toEqual({ source: 'hub', repo: 'openai-community/gpt2', revision: 'main' });
    expect(s.data).toMatchObject({
      source: 'hub',
      revision: 'main',
      format: 'auto',
      pairing: { judge: 'reward-model' },
    });
    expect(s.eval.judge).toBe('reward-model');
    expect(s.runs.map((r) => [r.label, r.pairs, r.beta])).toEqual([
      ['DPO', 'conditional', undefined],
      ['DPO 2', 'conditional', 0.5],
      ['mine', 'both', undefined],
    ]);
    // Labels given later are taken too: the first unlabelled run skips "JPO".
    expect(withDefaults({ runs: [{ objective: 'jpo' }, { objective: 'dpo', label: 'JPO' }] }).runs[0].label).toBe(
      'JPO 2',
    );
    expect([s.steps, s.epochs]).toEqual([null, 2]);
    expect(validateSpec(s).ok).toBe(true);

    const cond = withDefaults({ data: { pairing: { mode: 'conditional' } } });
    expect(cond.runs.map((r) => r.pairs)).toEqual(['conditional', 'conditional']);
    expect(cond.data.pairing).toEqual({
      mode: 'conditional',
      protocol: 'per-run',
      budget: 192,
      jointShare: 0.5,
      judge: 'annotator',
      annotator: { temperature: 0.05, positionBias: 0.3, tieMargin: 0.02 },
    });
    expect(validateSpec(cond).ok).toBe(true);
    expect(withDefaults({ sft: { steps: 5 } }).sft).toEqual({ steps: 5, lr: 1e-3, batchSize: 8 });
  });

  it('keeps typos and wrong types for validation to report', () => {
    const r = parseSpec({ version: 1, optimizer: { lr: 1e-3, lernRate: 1 }, model: { source: 'hub' }, lora: 3 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => e.path)).toEqual(['model.repo', 'optimizer.lernRate', 'lora']);
      expect(r.errors[0].message).toBe('is missing; add it');
    }
  });

  it('reports a spec file that is not JSON', () => {
    const r = parseSpecJson('{"version": 1, "seed": 7,}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0].message).toMatch(/^the spec is not valid JSON \(/);
    expect(parseSpecJson('{"version": 2}')).toEqual({ ok: true, spec: DEFAULT_SPEC });
  });

  it('parses a hand-written partial spec file', () => {
    const file = '{"version": 2, "seed": 7, "runs": [{"objective": "ipo", "beta": 0.5}, {"objective": "jpo"}]}';
    const r = parseSpec(JSON.parse(file));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.spec.seed).toBe(7);
      expect(r.spec.runs.map((x) => x.label)).toEqual(['IPO', 'JPO']);
      expect(specDiff(DEFAULT_SPEC, r.spec).map((d) => d.path)).toEqual([
        'seed',
        'runs[0].label',
        'runs[0].objective',
        'runs[0].beta',
      ]);
    }
  });
});

describe('specDiff and migrateSpec', () => {
  it('lists leaf paths that differ, whole values where a source or a plain list changes', () => {
    expect(specDiff(DEFAULT_SPEC, copy())).toEqual([]);
    const b = copy();
    b.runs[1].beta = 0.5;
    b.lora.targetModules = ['q', 'v'];
    b.model = { source: 'hub', repo: 'a/b', revision: 'main' };
    b.runs.push({ ...b.runs[0], label: 'DPO β=1', beta: 1 });
    b.sft = { steps: 3, lr: 1e-3, batchSize: 8 };
    const diffs = specDiff(DEFAULT_SPEC, b);
    expect(diffs).toEqual([
      { path: 'model', a: DEFAULT_SPEC.model, b: b.model },
      { path: 'sft', a: null, b: b.sft },
      { path: 'runs[1].beta', a: undefined, b: 0.5 },
      { path: 'runs[2]', a: undefined, b: b.runs[2] },
      { path: 'lora.targetModules', a: ['q', 'k', 'v'], b: ['q', 'v'] },
    ]);
    expect(formatSpecDiff(diffs)[2]).toBe('runs[1].beta: (none) → 0.5');
    expect(formatSpecDiff(diffs)[3]).toMatch(/^runs\[2\]: \(none\) → \{"label":"DPO β=1"/);
    // Two runs of one spec: how the comparison's runs differ.
    expect(specDiff(DEFAULT_SPEC.runs[0], DEFAULT_SPEC.runs[1]).map((d) => d.path)).toEqual([
      'label',
      'objective',
      'pairs',
    ]);
  });

  it('takes v2 as is and rejects unknown versions clearly', () => {
    expect(migrateSpec(copy())).toEqual({ ok: true, spec: DEFAULT_SPEC });
    const newer = migrateSpec({ version: 3 });
    expect(newer.ok).toBe(false);
    if (!newer.ok) expect(newer.errors[0].message).toContain('update Orchard');
  });
});
