/**
 * The dropout op (PEFT's lora_dropout): its mask against an independent BigInt implementation of
 * the documented hash, the kept fraction and scale, determinism in (seed, salt), and its gradient
 * against finite differences with the mask held fixed (same seed fed to every evaluation).
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/engine/graph.ts';
import { gradCheck, runGraph } from './engine-helpers.ts';

/** lowbias32 with BigInt, written from its definition (x ^= x >> 16; x *= 0x7feb352d; ...). */
function mixRef(v: bigint): bigint {
  const M = 0xffffffffn;
  let x = v & M;
  x ^= x >> 16n;
  x = (x * 0x7feb352dn) & M;
  x ^= x >> 15n;
  x = (x * 0x846ca68bn) & M;
  x ^= x >> 16n;
  return x;
}
function keptRef(seed: number, salt: number, e: number, p: number): boolean {
  const key = mixRef(BigInt(seed >>> 0) ^ mixRef(BigInt(salt)));
  return Number(mixRef(key ^ BigInt(e)) >> 8n) >= Math.round(p * 2 ** 24);
}

async function dropout(x: Float32Array, seed: number, p: number, salt: number): Promise<Float32Array> {
  const out = await runGraph((g, [a, s]) => g.dropout(a, s, p, salt), [x, Int32Array.of(seed)], [[x.length], [1]]);
  return out as Float32Array;
}

describe('dropout', () => {
  const N = 20_000;
  const x = Float32Array.from({ length: N }, (_, i) => 1 + (i % 7) * 0.25);

  it('keeps exactly the elements the documented hash keeps, scaled by 1 / (1 − p)', async () => {
    for (const [seed, salt, p] of [
      [7, 0, 0.05],
      [-123456, 3, 0.3],
      [2 ** 31 - 1, 11, 0.5],
    ]) {
      const out = await dropout(x, seed, p, salt);
      const scale = Math.fround(1 / (1 - p));
      let kept = 0;
      for (let e = 0; e < N; e++) {
        const keep = keptRef(seed, salt, e, p);
        if (keep) kept++;
        expect(out[e], `seed ${seed} element ${e}`).toBe(keep ? Math.fround(x[e] * scale) : 0);
      }
      // 20k Bernoulli draws: the kept fraction is within 5 standard deviations of 1 − p.
      expect(Math.abs(kept / N - (1 - p))).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
  });

  it('p = 0 is the identity; another seed or salt gives another mask', async () => {
    expect(Array.from(await dropout(x, 5, 0, 0))).toEqual(Array.from(x));
    const a = await dropout(x, 1, 0.5, 0);
    const b = await dropout(x, 2, 0.5, 0);
    const c = await dropout(x, 1, 0.5, 1);
    const same = (u: Float32Array, v: Float32Array) => u.filter((_, i) => (u[i] === 0) === (v[i] === 0)).length / N;
    expect(same(a, await dropout(x, 1, 0.5, 0))).toBe(1);
    expect(same(a, b)).toBeLessThan(0.6);
    expect(same(a, c)).toBeLessThan(0.6);
  });

  it('has the gradient of its fixed mask (finite differences)', async () => {
    const seed = Int32Array.of(99);
    const report = await gradCheck({
      build: (g: Graph) => {
        const a = g.param('a', [6, 11]);
        const s = g.input('seed', [1], 'i32');
        // A nonlinearity after dropout, so a wrong mask or scale in the backward shows.
        return { out: g.unary(g.dropout(g.unary(a, 'sigmoid'), s, 0.4, 2), 'square'), feeds: { seed } };
      },
    });
    expect(report.mismatches).toEqual([]);
    expect(report.maxAbsGrad).toBeGreaterThan(0.05);
  });

  it('refuses p outside [0, 1) and a seed that is not i32 [1]', () => {
    const g = new Graph();
    const a = g.param('a', [4]);
    const s = g.input('s', [1], 'i32');
    expect(() => g.dropout(a, s, 1, 0)).toThrow(/p must be in \[0, 1\)/);
    expect(() => g.dropout(a, g.input('f', [1]), 0.1, 0)).toThrow(/seed must be i32 \[1\]/);
  });
});
