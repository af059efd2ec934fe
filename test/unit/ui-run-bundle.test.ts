import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC } from '../../src/lab/spec.ts';
import { type MetricRow, metricsFromCsv, metricsToCsv } from '../../src/state/metric-rows.ts';
import { base64ToBytes, bytesToBase64, runFromBundle, runToBundle, type SavedRun } from '../../src/state/run-bundle.ts';

function row(step: number, loss: number): MetricRow {
  return {
    step,
    loss,
    'rewards/margins': step * 0.01,
    'rewards/chosen': 0.02 * step,
    'rewards/rejected': -0.01 * step,
    'rewards/accuracies': 0.5,
    'logps/chosen': -20.5,
    'logps/rejected': -22.25,
    grad_norm: 1.5,
    learning_rate: 1e-3,
    tokens_per_s: Number.NaN,
  };
}

function savedRun(): SavedRun {
  const weights = new Uint8Array(70_000);
  for (let i = 0; i < weights.length; i++) weights[i] = (i * 31 + 7) & 255;
  return {
    id: 'r1',
    createdAt: Date.parse('2025-01-02T03:04:05.000Z'),
    status: 'done',
    backend: 'webgpu→cpu',
    backendNotes: ['device lost at step 3; resumed on the CPU from step 2'],
    elapsedMs: 1234,
    spec: structuredClone(DEFAULT_SPEC),
    series: { DPO: [row(1, 0.65), row(2, 0.61)], 'JPO, "joint"': [row(1, 0.7)] },
    evals: [
      {
        run: 'JPO',
        baseline: 'reference-model',
        winRate: { rate: 0.6, low: 0.4, high: 0.77, wins: 5, ties: 2, losses: 3, n: 10 },
      },
    ],
    samples: [
      {
        kind: 'samples',
        run: 'initial',
        step: 0,
        samples: [{ instruction: 'List two fruits', response: 'Apple, Pear', score: 1 }],
      },
    ],
    adapters: [{ run: 'DPO', config: '{"r": 8}\n', safetensors: weights }],
  };
}

describe('metrics CSV', () => {
  it('round-trips rows, NaN as an empty cell, and run names needing quotes', () => {
    const series = savedRun().series;
    const csv = metricsToCsv(series);
    expect(csv.split('\n')[0]).toBe(
      'run,step,loss,rewards/margins,rewards/chosen,rewards/rejected,rewards/accuracies,logps/chosen,logps/rejected,grad_norm,learning_rate,tokens_per_s',
    );
    expect(csv).toContain('"JPO, ""joint""",1,0.7,');
    expect(csv.split('\n')[1].endsWith(',0.001,')).toBe(true);
    const back = metricsFromCsv(csv);
    expect(Object.keys(back)).toEqual(['DPO', 'JPO, "joint"']);
    expect(back.DPO[1].loss).toBe(0.61);
    expect(Number.isNaN(back.DPO[0].tokens_per_s)).toBe(true);
    expect(back).toEqual(series);
  });

  it('names the line of a malformed row', () => {
    const csv = metricsToCsv({ DPO: [row(1, 0.5)] }).replace(',0.5,', ',zero,');
    expect(() => metricsFromCsv(csv)).toThrow(/line 2: loss "zero"/);
  });
});

describe('run bundle', () => {
  it('round-trips a saved run, adapter bytes included', () => {
    const run = savedRun();
    const back = runFromBundle(runToBundle(run), 'imported');
    if (!back.ok) throw new Error(back.error);
    expect(back.run).toEqual({ ...run, id: 'imported' });
  });

  it('base64 matches Node Buffer (an independent encoder)', () => {
    const bytes = savedRun().adapters[0].safetensors;
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(base64ToBytes(Buffer.from(bytes).toString('base64'))).toEqual(bytes);
    expect(base64ToBytes('not base64!')).toBeNull();
  });

  it('refuses files that are not Orchard runs, with a reason', () => {
    const bad = (text: string) => {
      const r = runFromBundle(text, 'x');
      return r.ok ? 'accepted' : r.error;
    };
    expect(bad('{')).toMatch(/not JSON/);
    expect(bad('{"format":"something"}')).toMatch(/not an Orchard run/);
    expect(bad(JSON.stringify({ format: 'orchard-run', version: 9 }))).toMatch(/version 9/);
    const good = JSON.parse(runToBundle(savedRun()));
    expect(bad(JSON.stringify({ ...good, spec: { ...good.spec, seed: -1 } }))).toMatch(/seed/);
    expect(bad(JSON.stringify({ ...good, metricsCsv: 'a,b\n1,2' }))).toMatch(/header/);
    const brokenAdapter = {
      ...good,
      adapters: [{ run: 'DPO', files: { 'adapter_config.json': '{}', 'adapter_model.safetensors': '@@' } }],
    };
    expect(bad(JSON.stringify(brokenAdapter))).toMatch(/not base64/);
  });
});
