/**
 * The field table, part 3: where evaluation's held-out items come from (`eval.test`). Left out, the
 * task's held-out instructions are used as before (for the paper's bundled data: its test file), so
 * older specs are unchanged.
 */
import { PAPER_SET_LABELS, PAPER_TEST_SETS } from '../../data/paper-data.ts';
import { checkRepoPath } from '../hub/ids.ts';
import { show } from './check.ts';
import { hubSource, pathField } from './fields-setup.ts';
import { choice, type FieldSchema, group, text } from './schema-kit.ts';
import { EVAL_TEST_SOURCES } from './types.ts';

export const EVAL_TEST_FIELDS = [
  group(
    'eval.test',
    'variant',
    'Test items',
    "where the held-out instructions come from; left out: the task's held-out instructions",
    { optional: true },
  ),
  choice(
    'eval.test.source',
    EVAL_TEST_SOURCES,
    'Test items from',
    "the task's held-out instructions, or a file of {instruction, gold_response} rows (the paper's test files; JSON Lines even when named .json) or {instruction, response} rows (SFT files); other fields are ignored",
    {
      default: 'task',
      choiceLabels: {
        task: 'the task',
        file: 'a test file (CLI)',
        hub: 'a Hugging Face dataset file',
        paper: "the paper's test file (bundled)",
      },
    },
  ),
  choice('eval.test.dataset', PAPER_TEST_SETS, 'Paper test set', "which of the paper's bundled test files", {
    when: ['paper'],
    default: 'anthropic_helpful',
    choiceLabels: PAPER_SET_LABELS,
  }),
  pathField(
    'eval.test.path',
    'Test file',
    'a .json or .jsonl file of {instruction, gold_response} or {instruction, response} rows',
    'a .json/.jsonl file of test rows (CLI only)',
    ['file'],
  ),
  ...hubSource(
    'eval.test',
    ['Test dataset repository', 'Test dataset revision'],
    'jointpreferences/sft_and_pref_data',
    'dataset revision, like model.revision',
  ),
  text('eval.test.file', null, 'Test file in the dataset', 'file inside the dataset repository', {
    when: ['hub'],
    allowedText: '.json/.jsonl path',
    check: (value, path, c) => {
      const file = checkRepoPath(value);
      if (!file.ok) c.fail(path, file.message);
      else if (!/\.(json|jsonl)$/i.test(file.value))
        c.fail(path, `must be a .json or .jsonl file of the dataset repository (got ${show(value)})`);
    },
  }),
] satisfies FieldSchema[];
