import { describe, expect, it } from 'vitest';
import type { MetricsEvent, PipelineEvent } from '../../src/lab/events.ts';
import { DEFAULT_SPEC } from '../../src/lab/spec.ts';
import { type RunSession, reduceEvents, useRunStore } from '../../src/state/run-store.ts';
import { compactEvents } from '../../workers/protocol.ts';

function metrics(run: string, step: number, loss: number): MetricsEvent {
  return {
    kind: 'metrics',
    run,
    objective: run.toLowerCase(),
    step,
    loss,
    metrics: { 'rewards/margins': step / 10 },
    grad_norm: 1,
    learning_rate: 1e-3,
    tokens_per_s: 100,
  };
}

function session(): RunSession {
  useRunStore.getState().begin('r1', DEFAULT_SPEC);
  return useRunStore.getState().session as RunSession;
}

describe('reduceEvents', () => {
  it('appends rows per run without touching the previous session’s arrays', () => {
    const s0 = session();
    const s1 = {
      ...s0,
      ...reduceEvents(s0, [metrics('DPO', 1, 0.69), metrics('JPO', 1, 0.7), metrics('DPO', 2, 0.6)], 0),
    };
    expect(s1.series.DPO.map((r) => r.loss)).toEqual([0.69, 0.6]);
    expect(s1.series.JPO.map((r) => r.step)).toEqual([1]);
    expect(s1.series.DPO[0]['rewards/margins']).toBeCloseTo(0.1);
    expect(Number.isNaN(s1.series.DPO[0]['rewards/chosen'])).toBe(true);
    expect(s1.revision).toBe(s0.revision + 1);
    const s2 = { ...s1, ...reduceEvents(s1, [metrics('DPO', 3, 0.5)], 0) };
    expect(s1.series.DPO.length).toBe(2);
    expect(s2.series.DPO.length).toBe(3);
  });

  it('replaces steps logged again after a resume from a checkpoint', () => {
    const s0 = session();
    const steps = [1, 2, 3, 4, 5, 6, 7].map((k) => metrics('DPO', k, 1 / k));
    const s1 = { ...s0, ...reduceEvents(s0, steps, 0) };
    const s2 = {
      ...s1,
      ...reduceEvents(s1, [metrics('DPO', 6, 0.25), metrics('DPO', 7, 0.2), metrics('DPO', 8, 0.1)], 0),
    };
    expect(s2.series.DPO.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s2.series.DPO.map((r) => r.loss).slice(5)).toEqual([0.25, 0.2, 0.1]);
  });

  it('keeps one progress bar per stage (per run while training) with the ETA start mark', () => {
    const s0 = session();
    const p = (stage: 'sample' | 'train' | 'evaluate', done: number, run?: string): PipelineEvent => ({
      kind: 'progress',
      stage,
      run,
      done,
      total: 10,
      message: '',
    });
    const s1 = { ...s0, ...reduceEvents(s0, [p('sample', 1), p('sample', 4), p('train', 2, 'DPO')], 100) };
    const s2 = {
      ...s1,
      ...reduceEvents(s1, [p('train', 6, 'DPO'), p('evaluate', 0, 'DPO'), p('evaluate', 1, 'JPO')], 900),
    };
    expect(s2.progress.map((e) => [e.key, e.done])).toEqual([
      ['sample|', 4],
      ['train|DPO', 6],
      ['evaluate|', 1],
    ]);
    const train = s2.progress[1];
    expect([train.firstAt, train.firstDone, train.at]).toEqual([100, 2, 900]);
    expect(s2.stage).toBe('evaluate');
  });

  it('keeps the latest eval report per run and caps the log', () => {
    const s0 = session();
    const report = (rate: number): PipelineEvent => ({
      kind: 'eval',
      report: { run: 'DPO', baseline: 'gold', winRate: { rate, low: 0, high: 1, wins: 1, ties: 0, losses: 1, n: 2 } },
    });
    const logs: PipelineEvent[] = Array.from({ length: 600 }, (_, i) => ({
      kind: 'log',
      level: 'info',
      message: `m${i}`,
    }));
    const s1 = { ...s0, ...reduceEvents(s0, [report(0.2), report(0.7), ...logs], 0) };
    expect(s1.evals.map((e) => e.winRate.rate)).toEqual([0.7]);
    expect(s1.logs.length).toBe(500);
    expect(s1.logs[499].message).toBe('m599');
  });
});

describe('compactEvents', () => {
  it('drops superseded progress of the same bar, and nothing else', () => {
    const p = (done: number, run?: string): PipelineEvent => ({
      kind: 'progress',
      stage: 'train',
      run,
      done,
      total: 9,
      message: '',
    });
    const m = metrics('DPO', 1, 0.7);
    expect(compactEvents([p(1, 'DPO'), p(2, 'DPO'), m, p(3, 'DPO'), p(1, 'JPO')])).toEqual([
      p(2, 'DPO'),
      m,
      p(3, 'DPO'),
      p(1, 'JPO'),
    ]);
  });
});
