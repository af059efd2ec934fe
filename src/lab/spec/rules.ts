/**
 * Rules that relate fields to each other. Each runs after the fields themselves were checked, and
 * only on fields that passed, so a broken field is reported once, where it is. `doc` is the line
 * docs/spec.md shows under the field table.
 */
import { type Checker, isPlainObject, show } from './check.ts';
import { mayUseJointPairs } from './objectives.ts';
import type { Objective } from './types.ts';

export interface CrossFieldRule {
  doc: string;
  check: (spec: Record<string, unknown>, c: Checker) => void;
}

/** The value at a dotted path of a raw spec ('data.pairing.mode'), or undefined. */
function get(spec: unknown, path: string): unknown {
  let node = spec;
  for (const key of path.split('.')) node = isPlainObject(node) ? node[key] : undefined;
  return node;
}

/** The value at `path` when it was checked and passed, else undefined. */
function valid(spec: unknown, c: Checker, path: string): unknown {
  return c.failedWithin(path) ? undefined : get(spec, path);
}

function oracleNeedsTask(s: Record<string, unknown>, c: Checker, at: 'data.pairing.judge' | 'eval.judge'): void {
  const source = valid(s, c, 'data.source');
  const judge = valid(s, c, at);
  if ((judge === 'oracle' || judge === 'annotator') && source !== undefined && source !== 'task') {
    const what = judge === 'oracle' ? 'is the exact checker of a task' : 'answers with the exact checker of a task';
    c.fail(
      at,
      `"${judge}" ${what} and needs data.source "task" (got "${String(source)}"); use "reward-model" or "human"`,
    );
  }
}

function runRules(s: Record<string, unknown>, c: Checker): void {
  const runs = s.runs;
  if (!Array.isArray(runs) || c.failed('runs')) return;
  const mode = valid(s, c, 'data.pairing.mode');
  const labels = new Map<unknown, number>();
  runs.forEach((run, i) => {
    const at = `runs[${i}]`;
    const label = c.failed(`${at}.label`) ? undefined : get(run, 'label');
    if (label !== undefined) {
      const first = labels.get(label);
      if (first !== undefined)
        c.fail(`${at}.label`, `"${String(label)}" is also the label of runs[${first}]; give each run its own label`);
      else labels.set(label, i);
    }
    const objective = c.failed(`${at}.objective`) ? undefined : (get(run, 'objective') as Objective | undefined);
    const pairs = c.failed(`${at}.pairs`) ? undefined : get(run, 'pairs');
    if (objective === undefined || pairs === undefined) return;
    if (pairs !== 'conditional' && !mayUseJointPairs(objective)) {
      c.fail(
        `${at}.pairs`,
        `objective "${objective}" scores log π(y|x) under one shared instruction, so it trains on conditional pairs only ` +
          `(got "${String(pairs)}"); set pairs to "conditional", or the objective to "jpo" to use joint pairs`,
      );
    } else if (mode !== undefined && mode !== 'both' && pairs !== mode) {
      c.fail(
        `${at}.pairs`,
        `"${String(pairs)}" needs ${pairs === 'both' ? 'conditional and joint' : String(pairs)} pairs, but data.pairing.mode is ` +
          `"${String(mode)}"; set data.pairing.mode to "both", or this run's pairs to "${String(mode)}"`,
      );
    }
  });
}

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    doc: 'data.source "file": give exactly one of `data.path` and `data.rows`.',
    check: (s, c) => {
      if (valid(s, c, 'data.source') !== 'file' || !isPlainObject(s.data)) return;
      const hasPath = s.data.path !== undefined;
      const hasRows = s.data.rows !== undefined;
      if (hasPath === hasRows)
        c.fail(
          'data',
          `give exactly one of "path" (a data file) and "rows" (inline rows) (got ${hasPath ? 'both' : 'neither'})`,
        );
    },
  },
  {
    doc: 'The judges "oracle" (a task\'s exact checker) and "annotator" (built on it) need data.source "task", for pairing and for evaluation.',
    check: (s, c) => {
      oracleNeedsTask(s, c, 'data.pairing.judge');
      oracleNeedsTask(s, c, 'eval.judge');
    },
  },
  {
    doc: 'With `data.pairing.protocol` "per-run", `data.pairing.budget` is a number (every run gets that many judged pairs).',
    check: (s, c) => {
      if (
        valid(s, c, 'data.pairing.protocol') === 'per-run' &&
        get(s, 'data.pairing.budget') === null &&
        !c.failedWithin('data.pairing.budget')
      )
        c.fail(
          'data.pairing.budget',
          'is null (no limit), but the "per-run" protocol gives every run the same number of judged pairs; set a number (e.g. 192), or data.pairing.protocol to "shared"',
        );
    },
  },
  {
    doc: '`data.maxPromptLength` < `data.maxLength`, to leave room for the response.',
    check: (s, c) => {
      const maxLength = valid(s, c, 'data.maxLength');
      const maxPrompt = valid(s, c, 'data.maxPromptLength');
      if (typeof maxLength === 'number' && typeof maxPrompt === 'number' && maxPrompt >= maxLength)
        c.fail(
          'data.maxPromptLength',
          `must be less than data.maxLength (${maxLength}) to leave room for the response (got ${maxPrompt})`,
        );
    },
  },
  {
    doc: "Run labels are unique. Only jpo and sft may train on joint pairs; a run's pairs must be ones `data.pairing.mode` builds.",
    check: runRules,
  },
  {
    doc: 'Exactly one of `steps` and `epochs` is a number, the other null; `schedule.warmupSteps` < `steps`.',
    check: (s, c) => {
      if ((s.steps === null) === (s.epochs === null)) {
        c.fail(
          'steps',
          `set exactly one of "steps" and "epochs" to a number and the other to null (got steps ${show(s.steps)}, epochs ${show(s.epochs)})`,
        );
      }
      const steps = valid(s, c, 'steps');
      const warmup = valid(s, c, 'schedule.warmupSteps');
      if (typeof steps === 'number' && typeof warmup === 'number' && warmup >= steps)
        c.fail(
          'schedule.warmupSteps',
          `must be less than steps (${steps}) (got ${warmup}); about a tenth of the steps is usual`,
        );
    },
  },
  {
    doc: 'A test file (`eval.test.source` "file", "hub" or "paper") has no exact checker: its `eval.judge` is "reward-model" or "human".',
    check: (s, c) => {
      const test = valid(s, c, 'eval.test.source');
      if ((test === 'file' || test === 'hub' || test === 'paper') && valid(s, c, 'eval.judge') === 'oracle')
        c.fail(
          'eval.judge',
          `"oracle" is the exact checker of the task's own items; test items from a ${String(test)} need "reward-model" or "human"`,
        );
    },
  },
];
