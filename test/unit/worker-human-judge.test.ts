/**
 * The worker's side of a person judging pairs (workers/run-driver.ts), without a pipeline run: a
 * stale or unknown judge answer is logged for the page, never thrown, and an evaluation answer
 * (id prefixed "eval-") goes to the evaluation queue.
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

  it('routes an evaluation answer to the evaluation queue, and logs one for a run that evaluates by oracle', async () => {
    const person = driverFor('oracle', 'human');
    person.driver.answer('eval-c3', 'a');
    const machine = driverFor('human', 'oracle');
    machine.driver.answer('eval-c3', 'a');
    await nextBatch();
    expect(person.logs()).toContain('judge answer ignored: comparison c3 is not in the queue');
    expect(machine.logs()).toContain(
      'judge answer for eval-c3 ignored: this run\'s evaluation judge is "oracle", not a person',
    );
    person.driver.stop();
    machine.driver.stop();
  });
});
