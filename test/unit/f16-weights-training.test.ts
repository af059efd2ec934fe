/**
 * precision "f16-weights" on the CPU backend, where it is EMULATED (frozen weights rounded to f16
 * values, held as f32). Skipped GPU tests prove nothing, so these carry the correctness claim of
 * the f16 path everywhere:
 * - exactly the frozen weights are rounded, to the values an independent f16 reference gives
 *   (test/unit/f16-reference.ts), and the trainable LoRA adapters stay f32 (the master copy);
 * - a scorer under f16-weights gives bit-for-bit the log-probs of an f32 scorer fed weights
 *   pre-rounded by that reference (the only change is the weights' rounding);
 * - against plain f32: per-token log-probs and the training losses of a small DPO vs JPO
 *   experiment stay within the tolerances derived below, and the run says the path is emulated.
 *
 * Tolerances. f16 keeps 11 significant bits: each weight moves by at most u = 2^-11 of itself.
 * A logit z = h·w passes through the tiny model's chain of weight matrices (embedding, 4 layers of
 * attention + MLP projections, the tied LM head: N_MAT = 1 + 4 x 4 + 1 = 18 roundings on the way);
 * to first order its error is at most N_MAT·u·|z|, worst case with every rounding error aligned,
 * and a log-softmax moves by at most twice its largest logit change. So per token
 * |Δ log p| <= 2·N_MAT·u·max|z| (about 0.02·max|z|), the bound asserted. Rounding errors have random
 * signs, so the typical change is about sqrt(N_MAT·hidden) times smaller: the measured maximum is
 * asserted below 1e-2 nats (measured 1.7e-3; bound 0.24 with max|z| 13.8), and printed.
 * A DPO-family loss is σ-smooth in the margin with slope <= β, and at step 1 the policy and the reference share the rounded weights, so its loss is ln 2
 * exactly under both precisions. Later, policy-minus-reference log-probs are the adapters' effect,
 * which f16 base weights change only relatively (first order: at most N_MAT·u ≈ 0.9% of it, worst
 * case; Adam's steps respond to gradients off by the same relative amount, counted once more), so
 * |Δ loss| <= 2·N_MAT·u·max|loss − ln 2| is asserted (measured 1.7e-5 over 6 steps; bound 2.5e-3).
 * A reference left in f32 under an f16 policy would already be off by ~β·(margin change) at step 1.
 * The pairs are given inline: the classroom task samples its candidates from the policy, and f16
 * weights do change some sampled tokens, so task data would compare different pairs, not training.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { F16RangeError, Graph, modelFromWeights, padRows, SequenceScorer } from '../../src/engine/index.ts';
import { compileForward, ParamStore } from '../../src/engine/session.ts';
import { Policy } from '../../src/lab/pipeline/policy.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { DEFAULT_SPEC } from '../../src/lab/spec.ts';
import { maxLossGap, trainParity } from './f16-parity.ts';
import { roundArrayReference } from './f16-reference.ts';
import { ROOT } from './small-experiment.ts';

const U = 2 ** -11;
const N_MAT = 18;

async function tiny() {
  const resolvers = await nodeResolvers({ root: ROOT });
  return resolvers.model({ source: 'bundled', id: 'orchard-tiny' });
}

describe('f16-weights emulated on the CPU backend', () => {
  it('rounds exactly the frozen base weights (to the reference f16 values) and keeps the adapters f32', async () => {
    const { model } = await tiny();
    const backend = new CpuBackend();
    const policy = new Policy(model, DEFAULT_SPEC.lora, 7, backend, undefined, 'f16-weights');
    const plain = new Policy(model, DEFAULT_SPEC.lora, 7, backend);
    let rounded = 0;
    let changed = 0;
    for (const entry of policy.store.entries()) {
      const got = await policy.store.read(entry.name);
      if (policy.trainable.includes(entry.name)) {
        expect([entry.name, entry.storage]).toEqual([entry.name, 'f32']);
        expect(got).toEqual(await plain.store.read(entry.name));
      } else {
        expect([entry.name, entry.storage]).toEqual([entry.name, 'f16-emulated']);
        const original = model.weights.get(entry.name) as Float32Array;
        expect(got).toEqual(roundArrayReference(original));
        rounded++;
        if (got.some((v, i) => v !== original[i])) changed++;
      }
    }
    expect(rounded).toBe(model.weights.size);
    expect(changed).toBe(rounded); // the rounding really changed every tensor: the test can see it
    expect(policy.notes.join(' ')).toMatch(/f16-weights is EMULATED: the CPU backend has no f16 storage/);
    expect(policy.store.bytes()).toBe(plain.store.bytes()); // emulation saves no memory
    policy.dispose();
    plain.dispose();
  });

  it('scores like f32 on reference-rounded weights, and within the stated tolerance of f32', async () => {
    const { model, tokenizer } = await tiny();
    const backend = new CpuBackend();
    const texts = [
      '### Instructions: List three apples.\n\n### Response: Gala, Fuji, Honeycrisp.',
      '### Instructions: Name two red apples and one green apple.\n\n### Response: Fuji, Gala and Granny Smith',
      '### Instructions: List one apple.\n\n### Response: Braeburn',
    ];
    const rows = texts.map((t) => {
      const ids = tokenizer.encode(t);
      return { ids, mask: ids.map((_, i) => (i === 0 ? 0 : 1)) };
    });
    const batch = padRows(rows, tokenizer.padId, Math.max(...rows.map((r) => r.ids.length)));
    const lora = { r: 8, alpha: 16, targetModules: ['attn.c_attn'], dropout: 0 };
    const adapters = new Policy(model, DEFAULT_SPEC.lora, 7, backend).fullWeights();
    const preRounded = new Map(
      [...adapters].map(([k, v]) => [k, model.weights.has(k) ? roundArrayReference(v) : v] as const),
    );
    const score = (weights: ReadonlyMap<string, Float32Array>, precision: 'f32' | 'f16-weights') =>
      new SequenceScorer(model, weights, backend, lora, precision).tokenLogps(batch);
    const f32 = await score(adapters, 'f32');
    const f16 = await score(adapters, 'f16-weights');
    expect(f16).toEqual(await score(preRounded, 'f32'));

    // The logits' scale for the bound: max |z| over every position of these rows, f32 model.
    const store = new ParamStore(backend);
    const g = new Graph();
    const ids = g.input('ids', [batch.B, batch.T], 'i32');
    const keyMask = g.input('keyMask', [batch.B, batch.T]);
    const logitsNode = model.buildLogits(g, ids, keyMask, { lora });
    store.addFromGraph(g, (name) => adapters.get(name) as Float32Array);
    const fwd = compileForward(g, [logitsNode], backend, store);
    const [logits] = await fwd.run({ ids: batch.ids, keyMask: batch.mask.map(() => 1) });
    const maxZ = logits.reduce((m, z) => Math.max(m, Math.abs(z)), 0);
    console.log(
      `max |logit| = ${maxZ.toFixed(2)}, worst-case bound 2·N_MAT·u·max|z| = ${(2 * N_MAT * U * maxZ).toExponential(2)}`,
    );
    let worst = 0;
    let differs = 0;
    for (const [b, row] of f32.entries()) {
      for (const [t, v] of row.entries()) {
        worst = Math.max(worst, Math.abs(v - f16[b][t]));
        if (v !== f16[b][t]) differs++;
      }
    }
    console.log(`f16-weights vs f32, per-token log-prob: max |Δ| = ${worst.toExponential(2)} nats`);
    expect(differs).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(2 * N_MAT * U * maxZ);
    expect(worst).toBeLessThan(1e-2);
  });

  it('a small DPO vs JPO experiment trains within the stated tolerance of f32 and says it is emulated', async () => {
    const f32 = await trainParity('f32', new CpuBackend());
    const f16 = await trainParity('f16-weights', new CpuBackend());
    expect(f16.losses.map((l) => l.length)).toEqual([6, 6]);
    expect(f16.pairs).toEqual(f32.pairs);
    const worst = maxLossGap(f32.losses, f16.losses);
    console.log(`f16-weights vs f32, DPO/JPO losses over 6 steps: max |Δ| = ${worst.toExponential(2)}`);
    // Step 1: the policy is the reference (B = 0) under both precisions: the loss is ln 2.
    for (const losses of [...f32.losses, ...f16.losses]) expect(losses[0]).toBeCloseTo(Math.LN2, 6);
    expect(worst).toBeGreaterThan(0);
    const moved = Math.max(...f32.losses.flat().map((l) => Math.abs(l - Math.LN2)));
    console.log(`bound 2·N_MAT·u·max|loss − ln 2| = ${(2 * N_MAT * U * moved).toExponential(2)}`);
    expect(moved).toBeGreaterThan(1e-3); // training moved the loss: the bound is not vacuous
    expect(worst).toBeLessThanOrEqual(2 * N_MAT * U * moved);
    expect(f16.logs).toMatch(/f16-weights is EMULATED/);
    expect(f32.logs).not.toMatch(/f16/);
  });
});

describe('f16-weights refuses weights beyond f16', () => {
  it('names the tensor and the fix before anything is uploaded, and f32 still loads the model', async () => {
    const { model } = await tiny();
    const weights = new Map(model.weights);
    const name = [...weights.keys()].find((k) => k.endsWith('mlp.c_fc.weight')) as string;
    const big = Float32Array.from(weights.get(name) as Float32Array);
    big[5] = 1e5;
    weights.set(name, big);
    const odd = modelFromWeights('odd', model.config, weights);
    const backend = new CpuBackend();
    expect(() => new Policy(odd, DEFAULT_SPEC.lora, 7, backend, undefined, 'f16-weights')).toThrow(F16RangeError);
    expect(() => new Policy(odd, DEFAULT_SPEC.lora, 7, backend, undefined, 'f16-weights')).toThrow(
      new RegExp(`weight "${name.replaceAll('.', '\\.')}" has the value 100000 at element 5.*Set precision to "f32"`),
    );
    new Policy(odd, DEFAULT_SPEC.lora, 7, backend).dispose();
  });
});
