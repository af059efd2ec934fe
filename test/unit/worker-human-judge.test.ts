/**
 * The worker's side of a person judging pairs (workers/run-driver.ts), without a pipeline run: a
 * stale or unknown judge answer is logged for the page, never thrown, and a spec that asks a person
 * to evaluate fails at once with a message that says what to change.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/lab/events.ts';
import { withDefaults } from '../../src/lab/spec.ts';
import { EVENT_BATCH_MS, type FromWorker } from '../../workers/protocol.ts';
import { RunDriver } from '../../workers/run-driver.ts';

function driverFor(judge: 'human' | 'oracle', evalJudge: 'human' | 'oracle' = 'oracle') {
  const spec = withDefaults({ backend: 'cpu', data: { pairing: { judge } }, eval: { judge: evalJudge } });
  const posted: FromWorker[] = [];
  const driver = new RunDriver(
    'r1',
    spec,
    (m) => posted.push(m),
    () => 'no GPU in this test',
  );
  const logs = () =>
    posted
      .flatMap((m) => (m.type === 'run-events' ? m.events : []))
      .filter((e): e is Extract<PipelineEvent, { kind: 'log' }> => e.kind === 'log')
      .map((e) => e.message);
  return { driver, posted, logs };
}

const nextBatch = () => new Promise((r) => setTimeout(r, EVENT_BATCH_MS + 50));

describe('run driver with a person as the pairing judge', () => {
  it('logs an answer to an unknown comparison instead of throwing', async () => {
    const { driver, logs } = driverFor('human');
    expect(() => driver.answer('c42', 'a')).not.toThrow();
    await nextBatch();
    expect(logs()).toContain('judge answer ignored: comparison c42 is not in the queue');
    driver.stop();
  });

  it('logs an answer for a run whose judge is not a person', async () => {
    const { driver, logs } = driverFor('oracle');
    driver.answer('c1', 'b');
    await nextBatch();
    expect(logs()).toContain('judge answer for c1 ignored: this run\'s pairing judge is "oracle", not a person');
    driver.stop();
  });

  it('fails a run that asks a person to evaluate, before loading anything', async () => {
    const { driver, posted } = driverFor('human', 'human');
    await driver.run();
    const finished = posted.find((m) => m.type === 'run-finished');
    expect(finished?.type === 'run-finished' && finished.outcome).toBe('failed');
    expect(finished?.type === 'run-finished' && finished.error?.message).toMatch(
      /eval\.judge "human" is not supported/,
    );
    expect(posted.some((m) => m.type === 'run-started')).toBe(false);
  });
});
