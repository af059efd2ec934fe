/**
 * Replacing the whole experiment (a preset, a lesson): pairs added by hand in the Labels section
 * would vanish unseen, so a notice says so and offers to add them back.
 */
import type { ExperimentSpec } from '../../lab/spec.ts';
import { showNotice, useNoticeStore } from '../../state/notice-store.ts';
import { useSpecStore } from '../../state/spec-store.ts';

const NOTICE_ID = 'labels-left-out';

/** Sets `spec` as the draft; `what` names the replacement in the notice ("preset", "lesson"). */
export function replaceExperiment(spec: ExperimentSpec, origin: string, what: 'preset' | 'lesson'): void {
  const { draft, setDraft } = useSpecStore.getState();
  const added = draft.data.edits.add;
  setDraft(spec, origin);
  if (added.length === 0 || spec.data.edits.add.length > 0) return;
  const dismiss = () => useNoticeStore.getState().dismiss(NOTICE_ID);
  showNotice({
    id: NOTICE_ID,
    kind: 'warn',
    title: `Your ${added.length === 1 ? 'added pair is' : `${added.length} added pairs are`} not in this ${what}`,
    message: `A ${what} replaces the whole experiment, including the pairs added in the Labels section. Add them back to train on them too.`,
    actions: [
      {
        label: 'Add them back',
        run: () => {
          useSpecStore.getState().edit((d) => {
            d.data.edits.add = added;
          });
          dismiss();
        },
      },
      { label: 'Leave them out', run: dismiss },
    ],
  });
}
