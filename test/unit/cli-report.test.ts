/**
 * `orchard train --seeds 2 --out DIR` with a small version-2 spec (budget-matched arms), spawned as a
 * user runs it:
 * - DIR/report.json has exactly the shape: runs[] {label, objective, judgeCalls, pairs,
 *   ties, inconsistent, epochs, steps} and comparisons[] {a, b, difference, ci95, pValue, nItems,
 *   nSeeds}; every run made the same judge calls and DPO trained on conditional pairs only;
 * - DIR/eval.json keeps every seed's held-out items with each run's outcome (1, 0.5 or 0);
 * - the comparison's difference and sign-flip p-value equal an independent computation on those
 *   outcomes (exact enumeration of the sign-flip distribution by counting, written here), and its
 *   interval is the paired bootstrap of those same outcomes with the documented seed.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveSeed } from '../../src/lab/pipeline/seeds.ts';
import { comparePaired } from '../../src/lab/stats/paired.ts';
import { orchard, smallData } from './small-experiment.ts';

const SPEC = {
  version: 2,
  name: 'report test',
  seed: 9,
  data: smallData(16),
  epochs: 1,
  batchSize: 4,
  schedule: { warmupSteps: 0 },
  eval: { nTest: 10, maxNewTokens: 12 },
};

interface Report {
  seeds: number[];
  runs: Record<string, unknown>[];
  comparisons: Record<string, unknown>[];
}
let dir = '';
let report: Report;
let items: { seed: number; instruction: string; outcomes: Record<string, number> }[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orchard-report-'));
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(SPEC));
  await orchard(
    'train',
    '--spec',
    join(dir, 'spec.json'),
    '--backend',
    'cpu',
    '--out',
    join(dir, 'out'),
    '--seeds',
    '2',
  );
  report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
  items = JSON.parse(readFileSync(join(dir, 'out', 'eval.json'), 'utf8')).items;
}, 300_000);

/** Exact two-sided sign-flip p-value, by counting: outcomes differ by multiples of 0.5. */
function exactSignFlip(diffs: number[]): number {
  const units = diffs.map((d) => Math.round(Math.abs(d) * 2)).filter((u) => u > 0);
  const total = units.reduce((s, u) => s + u, 0);
  // ways[s + total]: sign patterns with signed sum s (in half-points).
  let ways = new Map<number, number>([[0, 1]]);
  for (const u of units) {
    const next = new Map<number, number>();
    for (const [s, w] of ways) {
      next.set(s + u, (next.get(s + u) ?? 0) + w);
      next.set(s - u, (next.get(s - u) ?? 0) + w);
    }
    ways = next;
  }
  const observed = Math.abs(diffs.reduce((s, d) => s + Math.round(d * 2), 0));
  let extreme = 0;
  for (const [s, w] of ways) if (Math.abs(s) >= observed) extreme += w;
  return total === 0 ? 1 : extreme / 2 ** units.length;
}

describe('orchard train --seeds 2: report.json and eval.json', () => {
  it('writes the issue shape, equal judge calls per run, DPO on conditional pairs only', () => {
    expect(report.seeds).toEqual([9, 10]);
    expect(existsSync(join(dir, 'out', 'seed-9', 'eval.json'))).toBe(true);
    expect(existsSync(join(dir, 'out', 'seed-10', 'eval.json'))).toBe(true);
    expect(report.runs.map((r) => r.label)).toEqual(['DPO', 'JPO']);
    for (const r of report.runs) {
      for (const key of ['label', 'objective', 'judgeCalls', 'pairs', 'ties', 'inconsistent', 'epochs', 'steps'])
        expect(r, key).toHaveProperty(key);
      expect(r.judgeCalls).toBe(2 * SPEC.data.pairing.budget);
      expect(r.epochs).toBeGreaterThanOrEqual(1);
    }
    const dpo = report.runs[0] as { pairs: { conditional: number; joint: number } };
    expect(dpo.pairs.joint).toBe(0);
    expect(dpo.pairs.conditional).toBeGreaterThan(0);
    const c = report.comparisons[0];
    for (const key of ['a', 'b', 'difference', 'ci95', 'pValue', 'nItems', 'nSeeds'])
      expect(c, key).toHaveProperty(key);
    expect([c.a, c.b, c.nItems, c.nSeeds]).toEqual(['DPO', 'JPO', SPEC.eval.nTest, 2]);
  });

  it("eval.json keeps every seed and held-out item with each run's outcome", () => {
    expect(items.length).toBe(2 * SPEC.eval.nTest);
    expect(items.filter((x) => x.seed === 9).length).toBe(SPEC.eval.nTest);
    for (const x of items) {
      expect(Object.keys(x.outcomes).sort()).toEqual(['DPO', 'JPO']);
      for (const v of Object.values(x.outcomes)) expect([0, 0.5, 1]).toContain(v);
    }
  });

  it('the paired difference, p-value and interval come from those outcomes', () => {
    const c = report.comparisons[0] as { difference: number; ci95: [number, number]; pValue: number };
    const diffs = items.map((x) => x.outcomes.JPO - x.outcomes.DPO);
    expect(c.difference).toBeCloseTo(diffs.reduce((s, d) => s + d, 0) / diffs.length, 12);
    // Two seeds: the sign flips whole seeds (each seed's summed difference).
    const seedSums = [9, 10].map((s) =>
      items.filter((x) => x.seed === s).reduce((sum, x) => sum + x.outcomes.JPO - x.outcomes.DPO, 0),
    );
    expect(c.pValue).toBeCloseTo(exactSignFlip(seedSums), 12);
    const bySeed = (label: string) =>
      [9, 10].map((s) => items.filter((x) => x.seed === s).map((x) => x.outcomes[label]));
    const again = comparePaired(bySeed('DPO'), bySeed('JPO'), { seed: deriveSeed(9, 'report-bootstrap-DPO-JPO') });
    expect(c.ci95).toEqual(again.ci95);
    expect(c.ci95[0]).toBeLessThanOrEqual(c.difference);
    expect(c.ci95[1]).toBeGreaterThanOrEqual(c.difference);
  });
});
