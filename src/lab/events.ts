/**
 * What the run pipeline (./pipeline/) reports while it works. The worker forwards these to the
 * page (throttled), the CLI prints them as JSON lines, and tests assert on them. Plain,
 * structured-cloneable data only.
 *
 * State events say where the pipeline is, so no listener has to infer it from progress messages:
 *   stage (entered) ... run-started → [run-resumed + its restored metrics] → metrics* → run-finished | run-failed
 */

export type Stage = 'load' | 'sft' | 'sample' | 'judge' | 'pair' | 'reference' | 'train' | 'evaluate' | 'done';

/** Coarse progress of one pipeline stage (and, within `train`, of one run). */
export interface ProgressEvent {
  kind: 'progress';
  stage: Stage;
  /** The run's label while training or evaluating one run (e.g. 'DPO', 'JPO'). */
  run?: string;
  /** Units done and total (steps, samples, comparisons...). */
  done: number;
  total: number;
  message: string;
}

/** One optimizer step of one run, with TRL's metric names. */
export interface MetricsEvent {
  kind: 'metrics';
  run: string;
  objective: string;
  step: number;
  loss: number;
  /** `rewards/chosen`, `rewards/rejected`, `rewards/margins`, `rewards/accuracies`, `logps/chosen`, `logps/rejected`. */
  metrics: Record<string, number>;
  grad_norm: number;
  learning_rate: number;
  tokens_per_s: number;
  /** Re-emitted from a checkpoint when a run resumes (logged before the interruption). */
  restored?: true;
}

/** Generations for a few fixed held-out instructions, with the judge's verdict. */
export interface SamplesEvent {
  kind: 'samples';
  /** 'initial' for the model before preference training, else the run label. */
  run: string;
  step: number;
  samples: { instruction: string; response: string; score?: number; reason?: string }[];
}

export interface WinRate {
  /** Fraction of comparisons won, ties counted as 0.5. */
  rate: number;
  /** 95% interval (Wilson score on the tie-adjusted count). */
  low: number;
  high: number;
  wins: number;
  ties: number;
  losses: number;
  n: number;
}

export interface EvalReport {
  run: string;
  /** What the run's answers were compared against. */
  baseline: 'reference-model' | 'gold';
  winRate: WinRate;
  /** Mean oracle score of the run's answers (classroom task only). */
  meanScore?: number;
  /** Same for the baseline's answers, for context. */
  baselineMeanScore?: number;
}

/** One held-out item of a run's evaluation: the question, both answers and how the run's answer fared. */
export interface EvalItemOutcome {
  instruction: string;
  answer: string;
  baseline: string;
  outcome: 'win' | 'tie' | 'loss';
}

export interface EvalEvent {
  kind: 'eval';
  report: EvalReport;
  /** Every held-out item, in the same order for every run (the lab lists them and pairs the runs on them). */
  items?: EvalItemOutcome[];
}

export interface LogEvent {
  kind: 'log';
  level: 'info' | 'warn';
  message: string;
}

/** The pipeline entered a stage. */
export interface StageEvent {
  kind: 'stage';
  stage: Stage;
}

/** A run begins training (fresh or from a checkpoint). */
export interface RunStartedEvent {
  kind: 'run-started';
  run: string;
  objective: string;
  totalSteps: number;
}

/**
 * A run continues from its checkpoint at `step` (`done`: it had finished training). The metrics it
 * logged before follow as metrics events marked `restored`.
 */
export interface RunResumedEvent {
  kind: 'run-resumed';
  run: string;
  step: number;
  done: boolean;
}

export interface RunFinishedEvent {
  kind: 'run-finished';
  run: string;
  steps: number;
}

/** A run stopped with an error (e.g. it diverged); the other runs go on. */
export interface RunFailedEvent {
  kind: 'run-failed';
  run: string;
  /** The step that failed (1-based), or the last step done when the failure came between steps. */
  step: number;
  message: string;
}

export type StateEvent = StageEvent | RunStartedEvent | RunResumedEvent | RunFinishedEvent | RunFailedEvent;

/**
 * What one run got from its judge budget (the "per-run" protocol): the paper's mechanism made
 * visible. Conditional comparisons of two similar answers often tie; joint ones still carry signal.
 */
export interface PairingEvent {
  kind: 'pairing';
  run: string;
  /** Judge calls made (two per judged pair, both orders) and the run's budget in calls. */
  judgeCalls: number;
  budgetCalls: number;
  judged: { conditional: number; joint: number };
  /** Pairs kept (a consistent winner in both orders). */
  pairs: { conditional: number; joint: number };
  ties: { conditional: number; joint: number };
  /** Pairs dropped because the two orders named different winners. */
  inconsistent: number;
  /** Ties / judged, per kind (null when none of that kind was judged). */
  tieRate: { conditional: number | null; joint: number | null };
  /** Pairs kept per 100 judge calls. */
  pairsPer100Calls: number;
  /** 'score-comparison': the judge scored each side alone, so joint verdicts are score comparisons. */
  verdictBasis: 'pairwise' | 'score-comparison';
}

export type PipelineEvent =
  | ProgressEvent
  | MetricsEvent
  | SamplesEvent
  | EvalEvent
  | LogEvent
  | PairingEvent
  | StateEvent;

export type PipelineListener = (event: PipelineEvent) => void;
