/**
 * Starting an experiment from the page: the hero's "Compare DPO vs JPO" (the draft with its runs
 * replaced by the DPO/JPO pair) and the form's "Run my settings" (the draft as it is).
 */
import { validateSpec } from '../../lab/spec.ts';
import { startRun } from '../../state/orchard-worker.ts';
import { useSpecStore } from '../../state/spec-store.ts';
import { dpoVsJpo } from './presets.ts';

export function startExperiment(compare: boolean): void {
  const { draft, view, setDraft, setView } = useSpecStore.getState();
  const spec = compare ? dpoVsJpo(draft) : draft;
  const checked = validateSpec(spec);
  if (compare) {
    setDraft(spec, 'DPO vs JPO comparison');
    // The comparison replaces the lesson's runs: its banner would now describe another experiment.
    if (view.lesson) setView({ ...view, lesson: null });
  }
  if (!checked.ok) return;
  startRun(checked.spec);
  document.getElementById('train')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
}
