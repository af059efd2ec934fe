/**
 * Experiment presets for the form, and the teacher's lessons: each is a complete, valid spec built
 * from the spec's defaults (docs/spec.md), plus the words a student reads before pressing Run.
 */

import type { PreferenceRow } from '../../data/types.ts';
import type { HideableSection } from '../../lab/share-link.ts';
import { type ExperimentSpec, type PartialSpec, validateSpec, withDefaults } from '../../lab/spec.ts';
import { trainCandidates } from '../../state/label-queue.ts';

export interface Preset {
  id: string;
  title: string;
  description: string;
  spec: ExperimentSpec;
}

export interface Lesson extends Preset {
  /** The question the lesson asks. */
  question: string;
  /** What to look at in the charts, and what it shows. */
  lookFor: string;
  /** Sections a teacher link hides by default, so students see only what the lesson varies. */
  hide: HideableSection[];
  /**
   * What will happen, stated before pressing Run, as a measurable effect; a unit test
   * (test/unit/lessons-effect.test.ts, lesson-noisy-labels.test.ts) checks it appears with the shipped settings.
   */
  prediction: string;
}

function build(partial: PartialSpec, what: string): ExperimentSpec {
  const r = validateSpec(withDefaults(partial));
  if (!r.ok) throw new Error(`preset ${what} is not a valid spec: ${JSON.stringify(r.errors)}`);
  return r.spec;
}

/** A comparison small enough for a software GPU in a couple of minutes. */
const QUICK: PartialSpec = {
  data: { nInstructions: 16, candidatesPerInstruction: 4, pairing: { budget: 64 } },
  steps: 20,
  batchSize: 4,
  schedule: { warmupSteps: 2 },
  eval: { nTest: 8, maxNewTokens: 16 },
};

export const PRESETS: Preset[] = [
  {
    id: 'classroom',
    title: 'Classroom (default)',
    description:
      'DPO vs JPO on the apples task at an equal judge budget: 3 epochs each, 32 held-out test questions. Under a minute on a CPU.',
    spec: build({ name: 'DPO vs JPO on apples' }, 'classroom'),
  },
  {
    id: 'quick',
    title: 'Quick look',
    description: '20 steps and 8 held-out questions: enough to see the curves move, fast even without a GPU.',
    spec: build({ ...QUICK, name: 'Quick look: DPO vs JPO' }, 'quick'),
  },
  {
    id: 'longer',
    title: 'Longer run',
    description: '200 steps on more data, 64 held-out questions: clearer win-rate differences, slower.',
    spec: build(
      {
        name: 'DPO vs JPO, longer',
        data: { nInstructions: 96, pairing: { budget: 512 } },
        steps: 200,
        schedule: { warmupSteps: 20 },
        eval: { nTest: 64 },
      },
      'longer',
    ),
  },
  {
    id: 'paper',
    title: 'Paper settings',
    description:
      "The paper's training details on the classroom task: LoRA dropout 0.05, weight decay 0.05, a cosine schedule, β 0.1.",
    spec: build(
      {
        name: 'DPO vs JPO, paper settings',
        lora: { dropout: 0.05 },
        optimizer: { weightDecay: 0.05 },
        schedule: { kind: 'cosine' },
        runs: [
          { label: 'DPO', objective: 'dpo', pairs: 'conditional', beta: 0.1 },
          { label: 'JPO', objective: 'jpo', pairs: 'both', beta: 0.1 },
        ],
      },
      'paper',
    ),
  },
];

const LESSON_HIDE: HideableSection[] = ['model', 'sft', 'optimizer', 'schedule', 'lora', 'backend'];

/**
 * Lessons judge 64 held-out test questions (QUICK's 8 gave intervals ~50 points wide): a run's
 * win-rate interval is then about ±11 points, and the paired difference of two runs about ±6 to ±11
 * (measured ±4 to ±8 on 128 validation questions).
 */
const LESSON_EVAL: PartialSpec['eval'] = { nTest: 64, maxNewTokens: 16 };

/** Wrong labels for the noisy-labels lesson: a flawed answer marked better than the task's reference answer. */
function flippedRows(seed: number, count: number): PreferenceRow[] {
  const candidates = trainCandidates(seed + 1, count);
  const rows: PreferenceRow[] = [];
  for (const ref of candidates.filter((c) => c.flaw === null)) {
    const flawed = candidates.find((c) => c.instruction === ref.instruction && c.flaw !== null);
    if (flawed)
      rows.push({
        i_chosen: ref.instruction,
        r_chosen: flawed.response,
        i_reject: ref.instruction,
        r_reject: ref.response,
      });
  }
  return rows.slice(0, count);
}

/**
 * Training of the β lessons: long and fast enough (60 steps at lr 2e-3) for the paper's β = 0.1 to
 * saturate its loss, so β's effect shows. Shorter runs stay where DPO's loss is nearly linear and
 * Adam's normalised steps make every β move the weights alike (measured: identical curves at 20
 * steps, lr 5e-4).
 */
const BETA_TRAINING: PartialSpec = { steps: 60, optimizer: { lr: 2e-3 } };

/**
 * The noisy-labels lesson's prediction: what test/unit/lesson-noisy-labels.test.ts computes from this
 * spec on the training pairs (orchard-tiny-2, seed 42), and the same measurement at seeds 1, 2 and 3.
 * The win rates were measured on the validation split (eval.split 'validation', 128 questions), never on test.
 */
const NOISY_PREDICTION =
  'Measured on the training pairs (orchard-tiny-2, seed 42, with seeds 1–3 in brackets): cDPO’s loss never goes below 0.50, while DPO’s last ten steps average 0.26 (0.08 to 0.13). cDPO’s pull on a pair stops at a reward margin β·h of log((1−ε)/ε) ≈ 1.39; DPO’s never stops. After training, DPO’s mean margin is 2.1 (2.4 to 3.3) and 16 pairs (19 to 29) exceed twice that ceiling (2.77); cDPO’s mean is 1.1 (1.1 to 1.2), its largest 2.1 (2.0 to 2.3), none above 2.77. Neither loss finds the wrong labels: both end with all 16 wrong pairs at a positive margin (the wrong answer preferred). DPO holds them at 1.9 (2.0 to 2.5) and cDPO at 1.2 (all seeds), and cDPO’s margins on the wrong pairs are no smaller than on the judged ones (judged minus wrong: −0.11; −0.05 to −0.03), while DPO’s judged pairs pull ahead by 0.27 (0.47 to 1.25). Label smoothing caps confidence; it does not single out wrong labels. Win rate against the untrained model on 128 validation questions: DPO 65%, cDPO 74% (seeds 1–3: DPO 54, 63, 79%; cDPO 83, 67, 78%); cDPO − DPO ranged from +29 to −1 points, so the lab makes no win-rate claim.';

/** A lesson of two DPO runs that differ only in β (run labels "β 0.01", "β 0.1"). */
function betaLesson(
  id: string,
  title: string,
  betas: readonly number[],
  words: Pick<Lesson, 'description' | 'question' | 'lookFor' | 'prediction'>,
): Lesson {
  const runs = betas.map((beta) => ({ label: `β ${beta}`, objective: 'dpo' as const, beta }));
  const spec = build({ ...QUICK, ...BETA_TRAINING, eval: LESSON_EVAL, name: `Lesson: ${title}`, runs }, id);
  return { id, title, ...words, hide: LESSON_HIDE, spec };
}

export const LESSONS: Lesson[] = [
  {
    id: 'jpo-equals-dpo',
    title: 'JPO equals DPO on identical prompts',
    description: 'Both runs train on conditional pairs only (one shared instruction per pair).',
    question: 'If both sides of every pair share the instruction, does scoring the prompt change anything?',
    lookFor:
      'The loss, accuracy and grad-norm curves of the two runs lie on top of each other: the prompt terms of the policy and the reference cancel exactly. Only the logged log-probabilities differ (JPO’s include the prompt tokens).',
    prediction: 'The two runs log the same loss at every step (to rounding), and give the same win rate.',
    hide: LESSON_HIDE,
    spec: build(
      {
        ...QUICK,
        name: 'Lesson: JPO = DPO on shared prompts',
        eval: LESSON_EVAL,
        data: { ...QUICK.data, pairing: { mode: 'conditional', budget: 64 } },
        runs: [
          { label: 'DPO', objective: 'dpo', pairs: 'conditional' },
          { label: 'JPO', objective: 'jpo', pairs: 'conditional' },
        ],
      },
      'jpo-equals-dpo',
    ),
  },
  betaLesson('beta-too-low', 'β too low', [0.01, 0.1], {
    description: 'DPO with β = 0.01 next to the paper’s β = 0.1.',
    question: 'β scales the implicit reward. What happens when it is tiny?',
    lookFor:
      'With β = 0.01 the rewards stay near zero, the loss barely leaves log 2 ≈ 0.69, and the model must move far from the reference to separate the pairs: watch its log-probabilities drift.',
    prediction:
      'logps/chosen and logps/rejected drift further from where they started with β = 0.01 than with β = 0.1 (measured at seed 42: about −35 and −48 against −25 and −36 nats).',
  }),
  betaLesson('beta-too-high', 'β too high', [0.1, 5], {
    description: 'DPO with β = 5 next to the paper’s β = 0.1.',
    question: 'What if β is large?',
    lookFor:
      'With β = 5 the loss falls fast and the accuracy saturates, but the log-probabilities hardly move: a large β keeps the policy close to the reference, so it learns little that shows in the samples.',
    prediction: 'logps/chosen and logps/rejected drift less with β = 5 than with β = 0.1.',
  }),
  {
    id: 'noisy-labels',
    title: 'Noisy labels vs label smoothing',
    description:
      '16 deliberately wrong labels (a flawed answer marked better than the task’s reference answer) join the 35 to 50 pairs the annotator judged. Plain DPO and conservative DPO (cDPO: label smoothing ε = 0.2) train on the same pairs, with β = 0.5.',
    question: 'Does a loss that expects some labels to be wrong learn to tell the wrong ones from the right ones?',
    lookFor:
      'The loss chart: cDPO treats every label as wrong with probability ε = 0.2, so its loss can never drop below 0.50 (the entropy of an 80/20 guess) and its reward margins level off, while DPO’s loss keeps falling. The cap holds for right and wrong labels alike: label smoothing limits how sure the model gets; it does not find the wrong labels.',
    prediction: NOISY_PREDICTION,
    hide: LESSON_HIDE,
    spec: build(
      {
        ...QUICK,
        // The β lessons' lr 2e-3 with β 0.5 and 120 steps, so the margins pass cDPO's ceiling
        // (β·h = log((1−ε)/ε) ≈ 1.39 at ε 0.2) well within the run. At 60 steps orchard-tiny-2's DPO
        // had barely passed it at seed 42 (mean margin 1.08, last-ten loss 0.48 against cDPO's 0.59).
        ...BETA_TRAINING,
        steps: 120,
        name: 'Lesson: noisy labels',
        eval: LESSON_EVAL,
        data: {
          ...QUICK.data,
          pairing: { mode: 'conditional', budget: 64 },
          edits: { add: flippedRows(42, 16), remove: [] },
        },
        runs: [
          { label: 'DPO', objective: 'dpo', pairs: 'conditional', beta: 0.5 },
          { label: 'cDPO', objective: 'cdpo', pairs: 'conditional', beta: 0.5, labelSmoothing: 0.2 },
        ],
      },
      'noisy-labels',
    ),
  },
  {
    id: 'joint-vs-conditional',
    title: 'Joint data vs conditional only',
    description: 'JPO on conditional + joint pairs, JPO on conditional pairs only, and DPO.',
    question:
      'Do pairs with different instructions (“a good list of fruits beats a poor list of beach activities”) help?',
    lookFor:
      'The joint run sees more comparisons for the same labelling budget. Compare the win rates, and the chosen rewards: on joint pairs JPO also raises the likelihood of the chosen instruction.',
    prediction:
      'At the same judge budget, “JPO joint” keeps more labelled pairs than DPO: joint comparisons tie less often than two answers to the same instruction.',
    hide: LESSON_HIDE,
    spec: build(
      {
        ...QUICK,
        // The default's 48 instructions and 192 questions: with QUICK's 16 and 64, orchard-tiny-2's
        // joint comparisons tied more often than its conditional ones (8 of 27 vs 11 of 56).
        data: {},
        name: 'Lesson: joint vs conditional',
        eval: LESSON_EVAL,
        runs: [
          { label: 'JPO joint', objective: 'jpo', pairs: 'both' },
          { label: 'JPO cond.', objective: 'jpo', pairs: 'conditional' },
          { label: 'DPO', objective: 'dpo', pairs: 'conditional' },
        ],
      },
      'joint-vs-conditional',
    ),
  },
];

export const LESSON_IDS = LESSONS.map((l) => l.id);

export function lessonById(id: string | null): Lesson | null {
  return LESSONS.find((l) => l.id === id) ?? null;
}

/**
 * The spec's runs replaced by a DPO run and a JPO run, everything else kept, and the first run's β
 * when it set one: both start from the same weights, see the same data order and use the same seed.
 * Joint-only data becomes conditional + joint, since DPO cannot use joint pairs.
 */
export function dpoVsJpo(spec: ExperimentSpec): ExperimentSpec {
  const out = structuredClone(spec);
  const base = spec.runs[0];
  if (out.data.pairing.mode === 'joint') out.data.pairing.mode = 'both';
  const shared = base.beta === undefined ? {} : { beta: base.beta };
  out.runs = [
    { label: 'DPO', objective: 'dpo', pairs: 'conditional', ...shared },
    { label: 'JPO', objective: 'jpo', pairs: out.data.pairing.mode, ...shared },
  ];
  return out;
}
