/**
 * The spec's `precision` field: "f32" (left out: the default) or "f16-weights". It validates with a
 * clear message, survives share links and spec files unchanged, reaches the plan, and leaves
 * version-1 links and specs (the golden fixtures) exactly as they were: no precision field, f32.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planExperiment, specFingerprint } from '../../src/lab/plan.ts';
import { decodeShareLink, encodeShareLink } from '../../src/lab/share-link.ts';
import { DEFAULT_SPEC, parseSpecJson, validateSpec, withDefaults } from '../../src/lab/spec.ts';

describe('spec.precision', () => {
  it('is left out by default and plans as f32', () => {
    expect('precision' in DEFAULT_SPEC).toBe(false);
    expect(planExperiment(DEFAULT_SPEC).precision).toBe('f32');
    const checked = validateSpec(withDefaults({ precision: 'f16-weights' }));
    expect(checked.ok && planExperiment(checked.spec).precision).toBe('f16-weights');
  });

  it('refuses other values, naming the field, the value and the choices', () => {
    for (const bad of ['f16', 'bf16', 16, null]) {
      const r = validateSpec(withDefaults({ precision: bad as never }));
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      const e = r.errors.find((x) => x.path === 'precision');
      expect(e?.message).toMatch(/f32/);
      expect(e?.message).toMatch(/f16-weights/);
    }
  });

  it('round-trips through a share link and a spec file', async () => {
    const spec = withDefaults({ name: 'f16 weights', precision: 'f16-weights', lora: { r: 4 } });
    const link = await encodeShareLink(spec);
    const decoded = await decodeShareLink(link.fragment);
    expect(decoded.ok && decoded.spec.precision).toBe('f16-weights');
    const checked = validateSpec(spec);
    expect(checked.ok).toBe(true);
    expect(decoded.ok && decoded.spec).toEqual(checked.ok && checked.spec);
    const file = parseSpecJson(JSON.stringify(spec, null, 2));
    expect(file.ok && file.spec.precision).toBe('f16-weights');
    // Precision changes the numbers, so it is part of the experiment's identity (checkpoints).
    expect(specFingerprint(withDefaults({ precision: 'f16-weights' }))).not.toBe(specFingerprint(DEFAULT_SPEC));
  });

  it('leaves the version-1 golden links and specs without a precision: they train in f32', async () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/golden/v1-runs.json', import.meta.url), 'utf8')) as {
      cases: { link?: string; spec?: unknown }[];
    };
    expect(fixture.cases.length).toBeGreaterThan(0);
    for (const c of fixture.cases) {
      const opened = c.link !== undefined ? await decodeShareLink(c.link) : validateSpec(c.spec);
      expect(opened.ok).toBe(true);
      if (!opened.ok) continue;
      expect(opened.spec.precision).toBeUndefined();
      expect(planExperiment(opened.spec).precision).toBe('f32');
    }
  });
});
