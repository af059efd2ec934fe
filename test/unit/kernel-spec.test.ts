/**
 * The spec's kernel choices `attention` ('auto' | 'fused' | 'unfused') and `lmHead` ('auto' |
 * 'chunked' | 'unfused'): left out they are 'auto' (the engine's size rules), so old specs, links and
 * the golden fixtures are untouched; bad values are refused naming the field and the choices; they
 * survive share links and spec files, and reach the plan and the memory check.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { ModelDoesNotFitError } from '../../src/engine/index.ts';
import { policyMemory } from '../../src/lab/pipeline/fits.ts';
import { Policy } from '../../src/lab/pipeline/policy.ts';
import { planExperiment, specFingerprint } from '../../src/lab/plan.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { decodeShareLink, encodeShareLink } from '../../src/lab/share-link.ts';
import { DEFAULT_SPEC, parseSpecJson, validateSpec, withDefaults } from '../../src/lab/spec.ts';
import { ROOT } from './small-experiment.ts';

describe('spec.attention and spec.lmHead', () => {
  it('are left out by default and plan as auto', () => {
    expect('attention' in DEFAULT_SPEC || 'lmHead' in DEFAULT_SPEC).toBe(false);
    expect(planExperiment(DEFAULT_SPEC).kernels).toEqual({ attention: 'auto', lmHead: 'auto' });
    const checked = validateSpec(withDefaults({ attention: 'fused', lmHead: 'chunked' }));
    expect(checked.ok && planExperiment(checked.spec).kernels).toEqual({ attention: 'fused', lmHead: 'chunked' });
  });

  it('refuse other values, naming the field, the value and every choice', () => {
    const cases = [
      ['attention', ['flash', 'standard', 1, null], ['auto', 'fused', 'unfused']],
      ['lmHead', ['full', 'chunk', true, null], ['auto', 'chunked', 'unfused']],
    ] as const;
    for (const [field, bads, choices] of cases) {
      for (const bad of bads) {
        const r = validateSpec(withDefaults({ [field]: bad as never }));
        expect(r.ok, `${field}: ${String(bad)}`).toBe(false);
        if (r.ok) continue;
        const e = r.errors.find((x) => x.path === field);
        expect(e, `${field}: ${String(bad)} gives an error at "${field}"`).toBeDefined();
        for (const c of choices) expect(e?.message).toContain(`"${c}"`);
      }
    }
  });

  it('round-trip through a share link and a spec file, and are part of the experiment identity', async () => {
    for (const kernels of [
      { attention: 'fused', lmHead: 'unfused' },
      { attention: 'unfused', lmHead: 'chunked' },
    ] as const) {
      const spec = withDefaults({ name: 'kernels', ...kernels, lora: { r: 4 } });
      const link = await encodeShareLink(spec);
      const decoded = await decodeShareLink(link.fragment);
      const checked = validateSpec(spec);
      expect(checked.ok).toBe(true);
      expect(decoded.ok && decoded.spec).toEqual(checked.ok && checked.spec);
      expect(decoded.ok && [decoded.spec.attention, decoded.spec.lmHead]).toEqual([kernels.attention, kernels.lmHead]);
      const file = parseSpecJson(JSON.stringify(spec, null, 2));
      expect(file.ok && [file.spec.attention, file.spec.lmHead]).toEqual([kernels.attention, kernels.lmHead]);
      // Different kernels round differently, so a checkpoint of one is not resumed under the other.
      expect(specFingerprint(spec)).not.toBe(specFingerprint(withDefaults({ name: 'kernels', lora: { r: 4 } })));
    }
  });

  it('leave the version-1 golden links and specs without kernel fields: they plan as auto', async () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/golden/v1-runs.json', import.meta.url), 'utf8')) as {
      cases: { link?: string; spec?: unknown }[];
    };
    expect(fixture.cases.length).toBeGreaterThan(0);
    for (const c of fixture.cases) {
      const opened = c.link !== undefined ? await decodeShareLink(c.link) : validateSpec(c.spec);
      expect(opened.ok).toBe(true);
      if (!opened.ok) continue;
      expect([opened.spec.attention, opened.spec.lmHead]).toEqual([undefined, undefined]);
      expect(planExperiment(opened.spec).kernels).toEqual({ attention: 'auto', lmHead: 'auto' });
    }
  });

  it('are documented in docs/spec.md with their choices', () => {
    const docs = readFileSync(new URL('../../docs/spec.md', import.meta.url), 'utf8');
    expect(docs).toMatch(/\| `attention` \| "auto" \| auto, fused, unfused \|/);
    expect(docs).toMatch(/\| `lmHead` \| "auto" \| auto, chunked, unfused \|/);
  });
});

describe('the memory check follows the spec kernels', () => {
  const step = (length: number) => ({ rows: 4, length });

  it('counts the [T x T] scores only when attention is unfused, and the logits only when the head is', async () => {
    const { model } = await (await nodeResolvers({ root: ROOT })).model({ source: 'bundled', id: 'orchard-tiny' });
    const c = model.config;
    const bytes = (length: number, attention: 'auto' | 'fused' | 'unfused', lmHead: 'auto' | 'chunked' | 'unfused') =>
      policyMemory(model, null, [], step(length), false, { attention, lmHead }).totalBytes;
    // T = 64: 'auto' is unfused for both (tiny vocabulary, short rows), so forcing the lean kernels
    // must save at least one score tensor (training keeps one per layer, one at least) and the logits.
    const T = 64;
    const scores = 4 * c.numHeads * T * T * 4;
    const logitsMinusHidden = 4 * T * (c.vocabSize - c.hiddenSize) * 4;
    expect(bytes(T, 'auto', 'auto')).toBe(bytes(T, 'unfused', 'unfused'));
    expect(bytes(T, 'unfused', 'auto') - bytes(T, 'fused', 'auto')).toBeGreaterThanOrEqual(scores);
    expect(bytes(T, 'auto', 'unfused') - bytes(T, 'auto', 'chunked')).toBeGreaterThanOrEqual(logitsMinusHidden);
    // T = 256: 'auto' attention is fused there, so forcing 'unfused' brings the scores back.
    expect(bytes(256, 'auto', 'auto')).toBe(bytes(256, 'fused', 'auto'));
    expect(bytes(256, 'unfused', 'auto')).toBeGreaterThan(bytes(256, 'auto', 'auto'));
  });

  it('refuses a policy that fits only with the lean kernels, under the kernels the spec forced', async () => {
    const { model } = await (await nodeResolvers({ root: ROOT })).model({ source: 'bundled', id: 'orchard-tiny' });
    const lean = policyMemory(model, null, [], step(256), false, { attention: 'fused', lmHead: 'chunked' });
    const full = policyMemory(model, null, [], step(256), false, { attention: 'unfused', lmHead: 'unfused' });
    expect(full.totalBytes).toBeGreaterThan(lean.totalBytes);
    // A budget between the two: the lean kernels fit, the stored scores and logits do not.
    const budget = Math.floor((lean.totalBytes + full.totalBytes) / 2);
    const backend = new CpuBackend({ memoryBudgetBytes: budget });
    const noLora = { ...DEFAULT_SPEC.lora, enabled: false };
    new Policy(model, noLora, 1, backend, step(256), 'f32', { attention: 'fused', lmHead: 'chunked' }).dispose();
    expect(
      () => new Policy(model, noLora, 1, backend, step(256), 'f32', { attention: 'unfused', lmHead: 'unfused' }),
    ).toThrow(ModelDoesNotFitError);
  });
});
