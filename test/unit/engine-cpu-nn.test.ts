/**
 * CPU kernels of the nn ops (embedding, norms, rope, KV-cache write, causal softmax, token
 * log-probs) against naive references written straight from their definitions, on odd shapes.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { numel } from '../../src/engine/ops.ts';
import { Rng } from '../../src/engine/random.ts';
import { maxAbsDiff, randn, runGraph as run } from './engine-helpers.ts';

const rng = new Rng(43);

describe('nn ops', () => {
  it('embedding gathers rows; embedding_grad scatter-adds repeated ids; bad ids throw', async () => {
    const table = randn(rng, [5, 3]);
    const ids = Int32Array.of(4, 0, 4);
    const out = await run((g, [t, i]) => g.embedding(t, i), [table, ids], [[5, 3], [3]]);
    expect([...out]).toEqual([...table.slice(12, 15), ...table.slice(0, 3), ...table.slice(12, 15)]);
    const gr = await run(
      (g, [i, gg]) => g.embeddingGrad(i, gg, 5),
      [ids, Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9)],
      [[3], [3, 3]],
    );
    expect([...gr]).toEqual([4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 10, 12]);
    await expect(run((g, [t, i]) => g.embedding(t, i), [table, Int32Array.of(5)], [[5, 3], [1]])).rejects.toThrow(
      /outside the table/,
    );
  });

  it('layernorm and rmsnorm match their formulas', async () => {
    const x = randn(rng, [4, 9], 3);
    const w = randn(rng, [9]);
    const b = randn(rng, [9]);
    const ln = await run((g, [a, c, d]) => g.layernorm(a, c, d, 1e-5), [x, w, b], [[4, 9], [9], [9]]);
    const rms = await run((g, [a, c]) => g.rmsnorm(a, c, 1e-6), [x, w], [[4, 9], [9]]);
    for (let r = 0; r < 4; r++) {
      const row = [...x.slice(r * 9, r * 9 + 9)];
      const mean = row.reduce((s, v) => s + v, 0) / 9;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / 9;
      const ms = row.reduce((s, v) => s + v * v, 0) / 9;
      for (let j = 0; j < 9; j++) {
        expect(ln[r * 9 + j]).toBeCloseTo(((row[j] - mean) / Math.sqrt(variance + 1e-5)) * w[j] + b[j], 5);
        expect(rms[r * 9 + j]).toBeCloseTo((row[j] / Math.sqrt(ms + 1e-6)) * w[j], 5);
      }
    }
  });

  it('rope uses the rotate_half layout; inverse undoes it; rope_at offsets positions', async () => {
    const [B, H, T, D] = [2, 3, 6, 8];
    const x = randn(rng, [B, H, T, D]);
    const out = await run((g, [a]) => g.rope(a, 10000), [x], [[B, H, T, D]]);
    for (let bh = 0; bh < B * H; bh++)
      for (let t = 0; t < T; t++)
        for (let i = 0; i < D; i++) {
          // HF: x * cos(emb) + rotate_half(x) * sin(emb), emb = cat(freqs, freqs), rotate_half = cat(-x2, x1).
          const f = t / 10000 ** ((2 * (i % (D / 2))) / D);
          const base = (bh * T + t) * D;
          const rot = i < D / 2 ? -x[base + i + D / 2] : x[base + i - D / 2];
          expect(out[base + i]).toBeCloseTo(x[base + i] * Math.cos(f) + rot * Math.sin(f), 5);
        }
    const back = await run((g, [a]) => g.rope(g.rope(a, 10000), 10000, true), [x], [[B, H, T, D]]);
    expect(maxAbsDiff(back, x)).toBeLessThan(1e-5);
    // rope_at with pos [2, 0] on the last 3 tokens equals rope on the full sequence, sliced.
    const tail = new Float32Array(B * H * 3 * D);
    const pos = [3, 0];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < 3; t++)
          for (let i = 0; i < D; i++) tail[((b * H + h) * 3 + t) * D + i] = x[((b * H + h) * T + pos[b] + t) * D + i];
    const at = await run((g, [a, p]) => g.ropeAt(a, p, 10000), [tail, Int32Array.from(pos)], [[B, H, 3, D], [B]]);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < 3; t++)
          for (let i = 0; i < D; i++) {
            expect(at[((b * H + h) * 3 + t) * D + i]).toBeCloseTo(out[((b * H + h) * T + pos[b] + t) * D + i], 6);
          }
  });

  it('cache_write writes rows at pos and drops rows past Tmax', async () => {
    const cache = new Float32Array(1 * 1 * 4 * 2).fill(-1);
    const x = Float32Array.of(1, 2, 3, 4, 5, 6);
    const out = await run(
      (g, [c, a, p]) => g.cacheWrite(c, a, p),
      [cache, x, Int32Array.of(2)],
      [[1, 1, 4, 2], [1, 1, 3, 2], [1]],
    );
    expect([...out]).toEqual([-1, -1, -1, -1, 1, 2, 3, 4]);
  });

  it('softmax_causal: causal + key mask, Tq < Tk decoding, fully masked rows are zero', async () => {
    const [B, H, Tq, Tk] = [2, 2, 3, 5];
    const s = randn(rng, [B, H, Tq, Tk], 2);
    const mask = Float32Array.of(0, 1, 1, 0, 1, 1, 1, 1, 1, 0);
    const out = await run(
      (g, [a, m]) => g.softmaxCausal(a, m, 0.5),
      [s, mask],
      [
        [B, H, Tq, Tk],
        [B, Tk],
      ],
    );
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let i = 0; i < Tq; i++) {
          const row = ((b * H + h) * Tq + i) * Tk;
          const live = (j: number) => j <= i + (Tk - Tq) && mask[b * Tk + j] !== 0;
          let z = 0;
          for (let j = 0; j < Tk; j++) if (live(j)) z += Math.exp(0.5 * s[row + j]);
          for (let j = 0; j < Tk; j++)
            expect(out[row + j]).toBeCloseTo(live(j) ? Math.exp(0.5 * s[row + j]) / z : 0, 6);
        }
    const dead = await run(
      (g, [a, m]) => g.softmaxCausal(a, m, 1),
      [randn(rng, [1, 1, 2, 2]), Float32Array.of(0, 1)],
      [
        [1, 1, 2, 2],
        [1, 2],
      ],
    );
    expect([...dead.slice(0, 2)]).toEqual([0, 0]);
    expect(dead[3]).toBeCloseTo(1, 6);
  });

  it('token_logprobs is log_softmax at the target, 0 for negative targets, stable for large logits', async () => {
    const logits = randn(rng, [4, 6], 3);
    logits[0] = 500;
    const t = Int32Array.of(0, 5, -1, 2);
    const out = await run((g, [a, b]) => g.tokenLogprobs(a, b), [logits, t], [[4, 6], [4]]);
    for (let n = 0; n < 4; n++) {
      if (t[n] < 0) {
        expect(out[n]).toBe(0);
        continue;
      }
      const row = [...logits.slice(n * 6, n * 6 + 6)];
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      expect(out[n]).toBeCloseTo(row[t[n]] - lse, 5);
    }
    expect(Number.isFinite(out[0])).toBe(true);
  });
});

it('numel of every kernel output view is honoured over a larger tensor', async () => {
  // A view smaller than its allocation (slot reuse) must not touch elements past its numel.
  const be = new CpuBackend();
  const big = be.alloc(10, 'f32');
  be.write(big, new Float32Array(10).fill(7));
  const src = be.alloc(4, 'f32');
  be.write(src, Float32Array.of(1, 2, 3, 4));
  be.compile([
    {
      op: 'scale',
      attrs: { s: 2 },
      inputs: [{ tensor: src, shape: [2, 2], dtype: 'f32' }],
      output: { tensor: big, shape: [2, 2], dtype: 'f32' },
    },
  ]).run();
  expect([...(await be.read(big))]).toEqual([2, 4, 6, 8, 7, 7, 7, 7, 7, 7]);
  expect(numel([2, 2])).toBe(4);
});
