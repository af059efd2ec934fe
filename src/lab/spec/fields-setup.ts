/**
 * The field table, part 1: the experiment itself, the model and the data. Each field appears once;
 * types, validation, defaults, the form and docs/spec.md all come from these entries.
 */
import { PAIRING_MODES } from '../../data/pairing.ts';
import { PAPER_SET_LABELS, PAPER_TRAIN_SETS } from '../../data/paper-data.ts';
import { RESPONSE_SEPARATORS, TRUNCATION_RULES } from '../../data/sequence.ts';
import { checkRepoId, checkRepoPath, checkRevision } from '../hub/ids.ts';
import { type Checker, show } from './check.ts';
import { checkAddedRows, checkInlineRows, checkRemovedIndices } from './row-checks.ts';
import { choice, type FieldSchema, group, int, num, range, SIZE_LIMITS, text } from './schema-kit.ts';
import {
  BUNDLED_MODELS,
  DATA_FORMATS,
  DATA_SOURCES,
  DEFAULT_BUNDLED_MODEL,
  JUDGE_KINDS,
  type JudgeKind,
  MAX_DATA_FILES,
  MODEL_SOURCES,
  PAIRING_PROTOCOLS,
  SPEC_VERSION,
  TASKS,
} from './types.ts';

/** A Hub id or revision: the hub module's own checks and messages. */
const hubCheck =
  (fn: (v: unknown) => { ok: true } | { ok: false; message: string }) => (value: unknown, path: string, c: Checker) => {
    const r = fn(value);
    if (!r.ok) c.fail(path, r.message);
  };

const noNul = (value: unknown, path: string, c: Checker) => {
  if (typeof value === 'string' && value.includes('\u0000')) c.fail(path, 'must not contain NUL characters');
};

/** A path: text of 1..pathLength characters without NUL. */
function pathCheck(value: unknown, path: string, c: Checker): void {
  if (c.string(value, path, 1, SIZE_LIMITS.pathLength, 'the path of a .json or .jsonl file') !== null) {
    noNul(value, path, c);
  }
}

/** One file, or a list of 1..MAX_DATA_FILES files, each checked by `one` at its own index. */
function checkFileList(value: unknown, path: string, c: Checker, one: (value: unknown, path: string) => void): void {
  if (!Array.isArray(value)) {
    one(value, path);
    return;
  }
  if (value.length === 0 || value.length > MAX_DATA_FILES) {
    c.fail(path, `must list 1 to ${MAX_DATA_FILES} files (got ${value.length}); or give one file as a string`);
    return;
  }
  for (const [i, v] of value.entries()) one(v, `${path}[${i}]`);
}

/** A file-system path (CLI only: the browser cannot read it). */
export const pathField = <P extends string>(
  path: P,
  label: string,
  what: string,
  help: string,
  when: string[],
): FieldSchema<P> =>
  text(path, [1, SIZE_LIMITS.pathLength], label, help, { fix: `the path of ${what}`, check: noNul, when });

/** `<parent>.repo` and `<parent>.revision`: a Hub repository and the revision to pin. */
export const hubSource = <P extends string>(
  parent: P,
  labels: readonly [string, string],
  example: string,
  revisionHelp: string,
) =>
  [
    text(`${parent}.repo` as const, null, labels[0], `Hub repository id owner/name, e.g. ${example}`, {
      when: ['hub'],
      check: hubCheck(checkRepoId),
      allowedText: '"owner/name"',
    }),
    text(`${parent}.revision` as const, null, labels[1], revisionHelp, {
      when: ['hub'],
      default: 'main',
      check: hubCheck(checkRevision),
      allowedText: 'branch, tag, refs/pr/N, commit',
    }),
  ] as const;

/** The judge a spec gets when it names none: the exact checker where the data comes from a task. */
export function defaultJudge(dataSource: unknown): JudgeKind {
  return dataSource === 'task' || dataSource === undefined ? 'oracle' : 'reward-model';
}

/**
 * The pairing judge a spec gets when it names none: for task data the simulated pairwise annotator
 * (noisy and position-biased like a real judge, so the both-orders filter has something to drop);
 * evaluation keeps the exact checker (`defaultJudge`), so win-rates stay exact.
 */
export function defaultPairingJudge(dataSource: unknown): JudgeKind {
  return dataSource === 'task' || dataSource === undefined ? 'annotator' : 'reward-model';
}

/** Judges built on a task's exact checker: the checker itself and the simulated annotator. */
export const TASK_JUDGES: readonly JudgeKind[] = ['oracle', 'annotator'];

/** The judges a data source allows: "oracle" and "annotator" need a task's exact checker. */
export function allowedJudges(dataSource: unknown): readonly JudgeKind[] {
  return dataSource === 'task' ? JUDGE_KINDS : JUDGE_KINDS.filter((j) => !TASK_JUDGES.includes(j));
}

export const JUDGE_LABELS: Record<JudgeKind, string> = {
  oracle: 'exact checker (task)',
  annotator: 'simulated annotator (task)',
  'reward-model': 'reward model',
  human: 'a person',
};

const PAIRS_LABELS = { conditional: 'conditional', joint: 'joint', both: 'conditional + joint' };

const judgeDefault = {
  derive: ({ root }: { root: Record<string, unknown> }) =>
    defaultPairingJudge((root.data as { source?: unknown })?.source),
  defaultText: '"annotator" for task data, else "reward-model"',
  choiceLabels: JUDGE_LABELS,
};

export const SETUP_FIELDS = [
  num(
    'version',
    int(SPEC_VERSION, SPEC_VERSION),
    'Spec version',
    'spec format version; older versions are migrated, newer ones rejected',
    {
      default: SPEC_VERSION,
      allowedText: `${SPEC_VERSION} (version 1 is migrated)`,
    },
  ),
  text('name', [1, SIZE_LIMITS.nameLength], 'Name', 'shown in the runs table', {
    default: 'DPO vs JPO on apples',
    fix: 'give the experiment a short name',
  }),
  num(
    'seed',
    int(0, 2 ** 32 - 1),
    'Seed',
    'the one seed every random choice derives from: the same seed gives the same data, order and numbers',
    {
      default: 42,
    },
  ),

  group('model', 'variant', 'Model', 'the base model'),
  choice('model.source', MODEL_SOURCES, 'Base model', 'where the base model comes from', {
    default: 'bundled',
    choiceLabels: {
      bundled: 'bundled with the lab',
      hub: 'Hugging Face Hub',
      local: 'local folder (CLI only)',
    },
  }),
  choice(
    'model.id',
    BUNDLED_MODELS,
    'Bundled model',
    'which bundled model; both were trained for the apples task and ship with the lab',
    {
      when: ['bundled'],
      default: DEFAULT_BUNDLED_MODEL,
      choiceLabels: {
        'orchard-tiny-2': 'orchard-tiny-2 (4 layers, clean lists)',
        'orchard-tiny': 'orchard-tiny (4 layers, version-1 links)',
      },
    },
  ),
  ...hubSource(
    'model',
    ['Repository', 'Revision'],
    'HuggingFaceTB/SmolLM2-135M',
    'branch, tag, refs/pr/N or commit: pin a commit to reproduce exactly',
  ),
  pathField(
    'model.path',
    'Model folder',
    'a folder with config.json, tokenizer.json and *.safetensors',
    'folder with config.json, tokenizer.json and *.safetensors (CLI only)',
    ['local'],
  ),

  group('data', 'variant', 'Data', 'the training comparisons'),
  choice('data.source', DATA_SOURCES, 'Data', 'where training comparisons come from', {
    default: 'task',
    choiceLabels: {
      task: 'the classroom task',
      file: 'a file',
      hub: 'a Hugging Face dataset',
      paper: 'Paper data (bundled)',
    },
  }),
  choice(
    'data.dataset',
    PAPER_TRAIN_SETS,
    'Paper dataset',
    "the JPO paper's own files, bundled (first rows): its conditional comparisons, then its SFT rows for joint pairs",
    { when: ['paper'], default: 'anthropic_helpful', choiceLabels: PAPER_SET_LABELS },
  ),
  choice('data.task', TASKS, 'Task', 'the classroom list task with an exact judge', {
    when: ['task'],
    default: 'apples',
  }),
  num('data.nInstructions', int(4, 10_000), 'Instructions', 'training instructions generated from the seed', {
    short: 'instructions',
    when: ['task'],
    default: 48,
  }),
  num(
    'data.candidatesPerInstruction',
    int(2, 16),
    'Answers per instruction',
    'responses sampled per instruction, then paired and judged',
    { short: 'candidates', when: ['task'], default: 4 },
  ),
  {
    path: 'data.path' as const,
    type: 'text',
    when: ['file'],
    optional: true,
    label: 'Data file',
    help: 'a .json/.jsonl file, or a list of them read in that order (each detects its own format); exactly one of path and rows',
    allowedText: `a path, or a list of 1..${MAX_DATA_FILES} paths`,
    check: (value, path, c) => checkFileList(value, path, c, (v, p) => pathCheck(v, p, c)),
  },
  {
    path: 'data.rows' as const,
    type: 'rows',
    when: ['file'],
    optional: true,
    label: 'Inline rows',
    help: 'rows given inline (small data, fits a share link)',
    allowedText: `1..${SIZE_LIMITS.inlineRows} flat objects`,
    check: checkInlineRows,
    documented: true,
  },
  choice(
    'data.format',
    DATA_FORMATS,
    'Format',
    'jpo: i_chosen/r_chosen/i_reject/r_reject; trl: prompt/chosen/rejected; sft: instruction/response (pairs are then built and judged)',
    {
      when: ['file', 'hub', 'paper'],
      default: 'auto',
      fix: '"auto" detects the format from the field names',
    },
  ),
  ...hubSource(
    'data',
    ['Dataset repository', 'Dataset revision'],
    'jointpreferences/sft_and_pref_data',
    'dataset revision, like model.revision',
  ),
  text('data.file', null, 'File', 'file inside the dataset repository, or a list of them read in that order', {
    when: ['hub'],
    allowedText: `.json/.jsonl path, or a list of 1..${MAX_DATA_FILES}`,
    check: (value, path, c) =>
      checkFileList(value, path, c, (v, p) => {
        const file = checkRepoPath(v);
        if (!file.ok) c.fail(p, file.message);
        else if (!/\.(json|jsonl)$/i.test(file.value))
          c.fail(p, `must be a .json or .jsonl file of the dataset repository (got ${show(v)})`);
      }),
  }),

  group('data.pairing', 'object', 'Pairing', 'how comparisons are built and judged'),
  choice(
    'data.pairing.mode',
    PAIRING_MODES,
    'Pairs',
    'which pairs to build and keep: same instruction (conditional), different instructions (joint), or both',
    { short: 'pairing', default: 'both', fix: 'JPO needs "joint" or "both"', choiceLabels: PAIRS_LABELS },
  ),
  choice(
    'data.pairing.protocol',
    PAIRING_PROTOCOLS,
    'Pairing protocol',
    '"per-run": budget-matched arms, every run asks the judge about the same candidates with the same budget (conditional-only runs spend it on conditional pairs, conditional + joint runs on the mix), ties and inconsistent verdicts dropped per run; "shared": one labelled pool, each run keeps the kinds it trains on (version 1 specs)',
    {
      short: 'protocol',
      default: 'per-run',
      choiceLabels: { 'per-run': 'budget-matched (per run)', shared: 'one shared pool' },
    },
  ),
  num(
    'data.pairing.budget',
    int(1, 1_000_000),
    'Judge budget',
    'pairs judged (two judge calls each, both orders): per run with "per-run"; in total with "shared" (with "both", half conditional and half joint; null: all pairs)',
    { short: 'judge budget', default: 192, nullable: true, fix: 'or null for no limit ("shared" only)' },
  ),
  num(
    'data.pairing.jointShare',
    range(0, 1),
    'Joint share',
    'with "per-run": the share of a conditional + joint run\'s budget spent on joint comparisons (the paper: 0.5); conditional-only runs spend none',
    { short: 'joint share', default: 0.5 },
  ),
  choice(
    'data.pairing.judge',
    JUDGE_KINDS,
    'Judge',
    'who labels the pairs the pipeline builds (human: the lab asks you, once per pair); rows that already carry a preference are used as given',
    judgeDefault,
  ),
  group(
    'data.pairing.annotator',
    'object',
    'Simulated annotator',
    'the "annotator" judge: a Bradley–Terry annotator on the exact checker, asked in both orders',
  ),
  num(
    'data.pairing.annotator.temperature',
    range(0, 10),
    'Annotator noise',
    'Bradley–Terry temperature on the score scale (0: always right); 0.05 gets one broken constraint right 98% of the time, the smallest differences 66-73%',
    { short: 'annotator noise', default: 0.05 },
  ),
  num(
    'data.pairing.annotator.positionBias',
    range(0, 1),
    'Position bias',
    'probability of answering "the first side" when unsure (else "tie"); the two orders then disagree and the pair is dropped',
    { short: 'position bias', default: 0.3 },
  ),
  num(
    'data.pairing.annotator.tieMargin',
    range(0, 1),
    'Tie margin',
    'score differences up to this are "cannot tell" (the task\'s smallest difference is 1/30)',
    { short: 'tie margin', default: 0.02 },
  ),
  group('data.edits', 'object', 'Edits', 'hand-made changes to the labelled pairs'),
  {
    path: 'data.edits.add' as const,
    type: 'rows',
    default: [],
    label: 'Added comparisons',
    help: 'comparisons appended after pairing (lessons: "what if we add this pair?")',
    allowedText: `≤ ${SIZE_LIMITS.editsAdd} rows {i_chosen, r_chosen, i_reject, r_reject}`,
    check: checkAddedRows,
    documented: true,
  },
  {
    path: 'data.edits.remove' as const,
    type: 'rows',
    default: [],
    label: 'Removed pairs',
    help: '0-based indices into the labelled pair list (before shuffling), removed before `add` is appended',
    allowedText: `≤ ${SIZE_LIMITS.editsRemove} distinct indices`,
    check: checkRemovedIndices,
    documented: true,
  },
  num('data.maxLength', int(8, 4096), 'Max tokens', 'tokens per sequence, prompt included; longer rows are truncated', {
    short: 'max length',
    default: 64,
  }),
  num('data.maxPromptLength', int(1, 4095), 'Max prompt tokens', 'tokens kept of the formatted prompt', {
    short: 'max prompt',
    default: 40,
    allowedText: '1..maxLength-1',
  }),
  text(
    'data.template',
    [1, SIZE_LIMITS.templateLength],
    'Prompt template',
    "the paper's prompt template; {instruction} marks where the instruction goes",
    {
      default: '### Instructions: {instruction}\n\n### Response:',
      allowedText: 'contains {instruction} once',
      check: (value, path, c) => {
        if (typeof value === 'string' && value.split('{instruction}').length !== 2)
          c.fail(path, `must contain "{instruction}" exactly once, where the instruction goes (got ${show(value)})`);
      },
    },
  ),
  choice(
    'data.separator',
    RESPONSE_SEPARATORS,
    'Response separator',
    'what joins the prompt and the response: "auto" a space after a prompt that ends in text (byte-level BPE tokenizers expect it), "none" the paper code\'s plain concatenation',
    {
      optional: true,
      default: 'auto',
    },
  ),
  choice(
    'data.truncation',
    TRUNCATION_RULES,
    'Truncation',
    '"trl" (TRL and the paper\'s code): the prompt is cut to maxPromptLength only when prompt + response exceed maxLength, then the response; "prompt-first" (version 1): the prompt always to maxPromptLength',
    { optional: true, default: 'trl' },
  ),
] satisfies FieldSchema[];
