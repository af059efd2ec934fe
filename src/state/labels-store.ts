/**
 * The labelling session: the queue of pairs (label-queue.ts), the person's answers in order (for
 * undo), kept in IndexedDB so a reload resumes where they stopped.
 */
import { create } from 'zustand';
import { buildLabelQueue, type LabelPair, nextPair } from './label-queue.ts';
import { showNotice } from './notice-store.ts';
import { clearLabels, deleteLabel, type HumanPairLabel, loadLabels, saveLabel } from './runs-db.ts';

export type Answer = HumanPairLabel['winner'];

interface LabelsState {
  seed: number | null;
  queue: LabelPair[];
  labels: HumanPairLabel[];
  loaded: boolean;
}

export const useLabelsStore = create<LabelsState>()(() => ({ seed: null, queue: [], labels: [], loaded: false }));

function persistProblem(err: unknown): void {
  showNotice({
    id: 'labels-db',
    kind: 'warn',
    title: 'Labels are not being saved',
    message: `${err instanceof Error ? err.message : String(err)}. They still count for this session.`,
  });
}

/** Builds the queue for `seed` and restores saved answers (once per seed). */
export async function loadLabelling(seed: number): Promise<void> {
  if (useLabelsStore.getState().seed === seed && useLabelsStore.getState().loaded) return;
  const queue = buildLabelQueue(seed);
  useLabelsStore.setState({ seed, queue });
  let labels: HumanPairLabel[] = [];
  try {
    labels = await loadLabels();
  } catch (err) {
    persistProblem(err);
  }
  useLabelsStore.setState({ labels, loaded: true });
}

export function answerCurrent(winner: Answer): HumanPairLabel | null {
  const { queue, labels } = useLabelsStore.getState();
  const pair = nextPair(queue, labels);
  if (!pair) return null;
  const label: HumanPairLabel = { ...pair, winner, answeredAt: Date.now() };
  useLabelsStore.setState({ labels: [...labels, label] });
  saveLabel(label).catch(persistProblem);
  return label;
}

/** Takes back the latest answer; its pair becomes the current one again. */
export function undoLast(): HumanPairLabel | null {
  const { labels } = useLabelsStore.getState();
  const last = labels[labels.length - 1];
  if (!last) return null;
  useLabelsStore.setState({ labels: labels.slice(0, -1) });
  deleteLabel(last.key).catch(persistProblem);
  return last;
}

export async function resetLabels(): Promise<void> {
  useLabelsStore.setState({ labels: [] });
  await clearLabels().catch(persistProblem);
}
