/**
 * What the run pipeline (./pipeline.ts) reports while it works. The worker forwards these to the
 * page (throttled), the CLI prints them as JSON lines, and tests assert on them. Plain,
 * structured-cloneable data only.
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

export interface EvalEvent {
  kind: 'eval';
  report: EvalReport;
}

export interface LogEvent {
  kind: 'log';
  level: 'info' | 'warn';
  message: string;
}

export type PipelineEvent = ProgressEvent | MetricsEvent | SamplesEvent | EvalEvent | LogEvent;

export type PipelineListener = (event: PipelineEvent) => void;
