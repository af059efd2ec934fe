/**
 * Learning-rate schedules with transformers' semantics (get_*_schedule_with_warmup, which TRL
 * uses): linear warm-up from 0 over `warmupSteps`, then constant, linear decay to 0, or a
 * half-cosine decay to 0 at `totalSteps`. `step` counts optimizer updates already taken, so the
 * first update uses lrAt(0), which is 0 whenever there is a warm-up (as in transformers).
 */

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface Schedule {
  schedule: ScheduleKind;
  /** Peak learning rate. */
  lr: number;
  warmupSteps: number;
  /** Total optimizer updates of the run (ignored by 'constant'). */
  totalSteps: number;
}

export function lrAt(step: number, s: Schedule): number {
  if (!(step >= 0)) throw new Error(`lrAt: step must be >= 0, got ${step}`);
  if (!(s.warmupSteps >= 0)) throw new Error(`lrAt: warmupSteps must be >= 0, got ${s.warmupSteps}`);
  return s.lr * lrFactor(step, s);
}

function lrFactor(step: number, s: Schedule): number {
  const { warmupSteps, totalSteps } = s;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  switch (s.schedule) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    case 'cosine': {
      const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
      // transformers' num_cycles = 0.5: one half-cosine from 1 down to 0.
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
    default:
      throw new Error(`lrAt: unknown schedule "${String(s.schedule)}" (use constant, linear or cosine)`);
  }
}
