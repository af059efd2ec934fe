/**
 * The experiment, folded under "Customise" (the hero's Compare needs none of it): presets, every
 * setting of the spec (validated as you type, with each problem next to its field), and the
 * actions: Run my settings (the runs as set; a locked lesson's one button), Share, spec files.
 */
import { useState } from 'react';
import { parseSpecJson } from '../../lab/spec.ts';
import { showNotice } from '../../state/notice-store.ts';
import { isLiveStatus, useRunStore } from '../../state/run-store.ts';
import { useSpecStore } from '../../state/spec-store.ts';
import { problemSeparator, problemText } from '../format.ts';
import { PRESETS } from '../lib/presets.ts';
import { replaceExperiment } from '../lib/replace-experiment.ts';
import { startExperiment } from '../lib/run-actions.ts';
import { FilePickButton } from './FilePickButton.tsx';
import { DataSection, EditsSummary, EvalSection, ModelSection, RunsSection, TrainingSection } from './FormSections.tsx';
import { Field, SpecFormContext } from './fields.tsx';
import { ShareBox } from './ShareBox.tsx';

export function ExperimentForm() {
  const draft = useSpecStore((s) => s.draft);
  const errors = useSpecStore((s) => s.errors);
  const origin = useSpecStore((s) => s.origin);
  const view = useSpecStore((s) => s.view);
  const edit = useSpecStore((s) => s.edit);
  const setDraft = useSpecStore((s) => s.setDraft);
  const customiseOpen = useSpecStore((s) => s.customiseOpen);
  const setCustomiseOpen = useSpecStore((s) => s.setCustomiseOpen);
  const running = useRunStore((s) => s.session?.origin === 'live' && isLiveStatus(s.session.status));
  const [sharing, setSharing] = useState(false);

  const hide = new Set<string>(view.hide);
  const locked = view.readonly;
  const sectionProps = { disabled: locked };

  const openSpecFile = async (file: File) => {
    const parsed = parseSpecJson(await file.text());
    if (parsed.ok) {
      setDraft(parsed.spec, `file ${file.name}`);
      return;
    }
    showNotice({
      id: 'spec-file',
      kind: 'error',
      title: `${file.name} is not a usable experiment`,
      message: parsed.errors
        .slice(0, 4)
        .map((e) => problemText(e.path, e.message))
        .join('; '),
    });
  };

  return (
    <section className="card experiment" aria-labelledby="experiment-title" id="experiment">
      <details
        className="customise"
        open={locked || customiseOpen}
        onToggle={(e) => setCustomiseOpen(e.currentTarget.open)}
      >
        <summary className="card-head">
          <h2 id="experiment-title">{locked ? 'Experiment' : 'Customise the experiment'}</h2>
          <span className="badge badge-pending-static" data-testid="spec-origin">
            {origin}
          </span>
          {!locked && <span className="muted small">presets, model, data, runs, training, evaluation</span>}
        </summary>
        <div className="card-head">
          {!locked && (
            <div className="preset-picker">
              <label htmlFor="preset" className="muted">
                Preset
              </label>
              <select
                id="preset"
                className="input"
                value=""
                onChange={(e) => {
                  const p = PRESETS.find((x) => x.id === e.target.value);
                  if (p) replaceExperiment(p.spec, `preset: ${p.title}`, 'preset');
                }}
              >
                <option value="">Choose…</option>
                {PRESETS.map((p) => (
                  <option key={p.id} value={p.id} title={p.description}>
                    {p.title}
                  </option>
                ))}
              </select>
            </div>
          )}
        </div>
        {locked && (
          <p className="muted">
            Your teacher fixed these settings for the lesson: press <strong>Run the lesson</strong> to try it.
          </p>
        )}

        <SpecFormContext.Provider value={{ spec: draft, errors, edit }}>
          <div className="form-grid">
            <fieldset className="form-section form-basics" disabled={locked}>
              <legend>Basics</legend>
              <Field path="name" />
              <Field path="seed" />
              {!hide.has('backend') && <Field path="backend" />}
              {!hide.has('backend') && <Field path="precision" />}
              {!hide.has('backend') && <Field path="attention" />}
              {!hide.has('backend') && <Field path="lmHead" />}
            </fieldset>
            {!hide.has('model') && <ModelSection {...sectionProps} />}
            {!hide.has('data') && <DataSection {...sectionProps} showPairing={!hide.has('pairing')} />}
            {!hide.has('runs') && <RunsSection {...sectionProps} />}
            <TrainingSection {...sectionProps} hide={hide} />
            {!hide.has('eval') && <EvalSection {...sectionProps} />}
          </div>
        </SpecFormContext.Provider>
        {!hide.has('edits') && <EditsSummary spec={draft} edit={edit} disabled={locked} />}
      </details>

      {errors.length > 0 && (
        <div className="notice notice-error form-errors" role="alert" data-testid="form-errors">
          <strong>
            {errors.length} setting{errors.length === 1 ? '' : 's'} to fix before running
          </strong>
          <ul>
            {errors.map((e) => (
              <li key={e.path}>
                <button type="button" className="link-button" onClick={() => focusField(e.path)}>
                  <code>{e.path || '(spec)'}</code>
                </button>
                {problemSeparator(e.message)}
                {e.message}
              </li>
            ))}
          </ul>
        </div>
      )}

      <div className="actions">
        <button
          type="button"
          className={`button button-large${locked ? ' button-primary' : ''}`}
          disabled={running || errors.length > 0}
          onClick={() => startExperiment(false)}
          data-testid="run"
          title={
            locked
              ? undefined
              : 'Trains the runs as set here; Compare DPO vs JPO above replaces them with the DPO/JPO pair'
          }
        >
          {locked ? 'Run the lesson' : `Run my settings (${draft.runs.map((r) => r.label).join(', ')})`}
        </button>
        <span className="actions-spacer" />
        <button
          type="button"
          className="button"
          onClick={() => setSharing((s) => !s)}
          aria-expanded={sharing}
          disabled={errors.length > 0}
        >
          Share link
        </button>
        {!locked && (
          <FilePickButton
            className="button"
            accept=".json,application/json"
            inputLabel="Spec file to open"
            onFile={(f) => void openSpecFile(f)}
          >
            Open spec file
          </FilePickButton>
        )}
      </div>
      {sharing && errors.length === 0 && <ShareBox spec={draft} onClose={() => setSharing(false)} />}
    </section>
  );
}

/** Moves focus to the field that edits `path`, when the form shows one. */
function focusField(path: string): void {
  useSpecStore.getState().setCustomiseOpen(true);
  const field = document.querySelector(`[data-path="${CSS.escape(path)}"]`);
  const control = field?.querySelector<HTMLElement>('input, select, textarea');
  control?.focus();
  field?.scrollIntoView({ block: 'center', behavior: 'smooth' });
}
