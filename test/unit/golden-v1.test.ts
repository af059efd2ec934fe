/**
 * Old links and specs keep their numbers: version-1 share links and spec files recorded before the
 * spec schema and the pipeline were redesigned (scripts/record-golden.ts) are replayed through
 * today's decoder, migration and pipeline on the CPU backend, and every run must log the same first
 * 20 losses and end with the same eval report.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { EvalReport } from '../../src/lab/events.ts';
import { runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { decodeShareLink } from '../../src/lab/share-link.ts';
import { type ExperimentSpec, validateSpec } from '../../src/lab/spec.ts';

const ROOT = join(import.meta.dirname, '..', '..');

interface GoldenCase {
  name: string;
  link?: string;
  spec?: unknown;
  runs: { label: string; losses: number[]; eval: EvalReport | null }[];
}

const golden: { cases: GoldenCase[] } = JSON.parse(
  readFileSync(join(ROOT, 'test', 'fixtures', 'golden', 'v1-runs.json'), 'utf8'),
);

async function specOf(c: GoldenCase): Promise<ExperimentSpec> {
  if (c.link !== undefined) {
    const decoded = await decodeShareLink(c.link);
    if (!decoded.ok) throw new Error(`stored link no longer opens: ${JSON.stringify(decoded.error)}`);
    return decoded.spec;
  }
  const checked = validateSpec(c.spec);
  if (!checked.ok) throw new Error(`stored spec no longer validates: ${JSON.stringify(checked.errors)}`);
  return checked.spec;
}

describe('version-1 links and specs reproduce their recorded runs', () => {
  for (const c of golden.cases) {
    it(`${c.link ? 'link' : 'spec'}: ${c.name}`, { timeout: 120_000 }, async () => {
      const spec = await specOf(c);
      const result = await runExperiment(spec, {
        backend: new CpuBackend(),
        resolvers: await nodeResolvers({ root: ROOT }),
      });
      expect(result.runs.map((r) => r.label)).toEqual(c.runs.map((r) => r.label));
      for (const [i, want] of c.runs.entries()) {
        const got = result.runs[i];
        const losses = got.metrics.slice(0, 20).map((m) => m.loss);
        expect(losses.length).toBe(want.losses.length);
        for (const [k, loss] of want.losses.entries()) {
          expect(Math.abs(losses[k] - loss), `${want.label} step ${k + 1}`).toBeLessThanOrEqual(
            1e-6 * Math.max(1, Math.abs(loss)),
          );
        }
        expect(got.eval).toEqual(want.eval);
      }
    });
  }
});
