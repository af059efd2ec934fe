/**
 * After a reload: a run this browser was training when its tab closed leaves a record
 * (run-in-progress.ts) and checkpoints (workers/idb-checkpoint-store.ts). This offers it back as a
 * notice: Resume trains the same spec again, which continues from the checkpoints (the pipeline
 * restores the steps and metrics already done); Discard deletes the checkpoints and the record.
 */
import { checkpointNamespaces, IdbCheckpointStore } from '../../workers/idb-checkpoint-store.ts';
import { Checkpoints, checkpointNamespace } from '../lab/checkpoint.ts';
import { showNotice, useNoticeStore } from './notice-store.ts';
import { startRun } from './orchard-worker.ts';
import { checkpointLockHeld, forgetRunInProgress, type RunInProgress, readRunInProgress } from './run-in-progress.ts';
import { liveRunActive } from './run-store.ts';

export const INTERRUPTED_NOTICE_ID = 'interrupted-run';

export interface InterruptedRun {
  record: RunInProgress;
  /** The run that was training ('DPO', 'JPO'), or null when every run had finished training. */
  run: string | null;
  /** Optimizer steps of `run` already checkpointed. */
  step: number;
  /** Steps per run when the spec fixes them (null for an epoch-based schedule). */
  totalSteps: number | null;
}

function storeFor(record: RunInProgress): IdbCheckpointStore {
  return storeOf(checkpointNamespace(record.spec));
}

function storeOf(namespace: string): IdbCheckpointStore {
  return new IdbCheckpointStore(namespace, (message) => console.warn(`orchard: ${message}`));
}

/**
 * Deletes checkpoints nobody can resume: every namespace but the recorded run's whose lock no tab
 * holds. They are left when a run was interrupted and another experiment started before it was
 * resumed or discarded (the record only remembers the newest run). Returns how many were deleted.
 */
export async function sweepOrphanCheckpoints(): Promise<number> {
  if (liveRunActive()) return 0;
  const record = readRunInProgress();
  const keep = record ? checkpointNamespace(record.spec) : null;
  let deleted = 0;
  for (const namespace of await checkpointNamespaces()) {
    if (namespace === keep || (await checkpointLockHeld(namespace))) continue;
    const store = storeOf(namespace);
    try {
      await store.clear();
      deleted++;
    } finally {
      store.close();
    }
  }
  return deleted;
}

/** The interrupted run with checkpoints to resume from; a record without checkpoints is forgotten. */
export async function findInterruptedRun(): Promise<InterruptedRun | null> {
  const record = readRunInProgress();
  // A run another tab is training right now (it holds the namespace's lock) is not interrupted.
  if (!record || liveRunActive() || (await checkpointLockHeld(checkpointNamespace(record.spec)))) return null;
  const store = storeFor(record);
  try {
    if (store.inMemory || (await store.keys()).length === 0) {
      forgetRunInProgress(record.runId);
      return null;
    }
    const totalSteps = record.spec.steps ?? null;
    // The backend does not matter here: only how far each run got.
    const checkpoints = new Checkpoints(store, { backend: 'any' });
    for (const { label } of record.spec.runs) {
      const saved = await checkpoints.runProgress(label);
      if (!saved) return { record, run: label, step: 0, totalSteps };
      if (!saved.done) return { record, run: label, step: saved.step, totalSteps };
    }
    return { record, run: null, step: totalSteps ?? 0, totalSteps };
  } finally {
    store.close();
  }
}

export function describeInterruption(r: InterruptedRun): string {
  const of = r.totalSteps !== null ? ` of ${r.totalSteps}` : '';
  const where = r.run
    ? `at step ${r.step}${of} (training ${r.run})`
    : 'after training, while evaluating (every run is trained)';
  return `Run "${r.record.name}" was interrupted ${where}. Resume continues from its last checkpoint; Discard deletes it.`;
}

let offered = false;

/** Shows the Resume / Discard notice when a run was interrupted (once per page load). */
export async function offerInterruptedRun(): Promise<void> {
  if (offered) return;
  offered = true;
  let found: InterruptedRun | null;
  try {
    found = await findInterruptedRun();
  } catch (err) {
    console.warn(`orchard: could not read the checkpoints of an interrupted run: ${String(err)}`);
    return;
  }
  try {
    const deleted = await sweepOrphanCheckpoints();
    if (deleted > 0)
      console.info(`orchard: deleted the checkpoints of ${deleted} run(s) that can no longer be resumed`);
  } catch (err) {
    console.warn(`orchard: could not clean up old checkpoints: ${String(err)}`);
  }
  if (!found) return;
  const { record } = found;
  showNotice({
    id: INTERRUPTED_NOTICE_ID,
    kind: 'info',
    title: 'A run was interrupted',
    message: describeInterruption(found),
    actions: [
      { label: 'Resume', run: () => resumeInterruptedRun(record) },
      { label: 'Discard', run: () => void discardInterruptedRun(record) },
    ],
  });
}

export function resumeInterruptedRun(record: RunInProgress): void {
  if (liveRunActive()) {
    showNotice({
      id: 'interrupted-run-busy',
      kind: 'warn',
      title: 'A run is training',
      message: 'Stop the current run before resuming the interrupted one.',
    });
    return;
  }
  useNoticeStore.getState().dismiss(INTERRUPTED_NOTICE_ID);
  startRun(record.spec);
}

export async function discardInterruptedRun(record: RunInProgress): Promise<void> {
  useNoticeStore.getState().dismiss(INTERRUPTED_NOTICE_ID);
  forgetRunInProgress(record.runId);
  const store = storeFor(record);
  try {
    await store.clear();
  } finally {
    store.close();
  }
}
