/**
 * The experiment form's sections, one per part of the spec. Each field is bound to the spec by its
 * path (`<Field path="eval.temperature" />`): label, help, choices and value come from the spec
 * schema, edits go back through the spec store, and validateSpec's errors show next to the field.
 * Sections a teacher hid (?hide=...) are not rendered.
 */

import { applesTrainPoolSize } from '../../lab/pipeline/task-data.ts';
import {
  allowedJudges,
  type ExperimentSpec,
  MODEL_SOURCES,
  type Objective,
  type PairSet,
  SPEC_LIMITS,
} from '../../lab/spec.ts';
import { formatCount } from '../format.ts';
import { OBJECTIVE_LINES } from '../lib/objectives-explained.ts';
import {
  addRun,
  pairChoices,
  runParamsShown,
  setPairingMode,
  setRunObjective,
  setSft,
  switchModelSource,
} from '../lib/spec-form.ts';
import { EvalTestField } from './EvalTestField.tsx';
import { CheckboxField, Field, useSpecForm } from './fields.tsx';

export interface SectionProps {
  disabled: boolean;
}

export function ModelSection({ disabled }: SectionProps) {
  const { spec } = useSpecForm();
  const m = spec.model;
  return (
    <fieldset className="form-section" id="model" disabled={disabled}>
      <legend>Model</legend>
      <Field
        path="model.source"
        // A local folder is a CLI choice: offered only when a spec file already names one.
        choices={MODEL_SOURCES.filter((s) => s !== 'local' || m.source === 'local')}
        write={(d, source: string) => switchModelSource(d, source)}
      />
      {m.source === 'hub' && (
        <>
          <Field path="model.repo" />
          <Field path="model.revision" />
        </>
      )}
      {m.source === 'local' && (
        <p className="muted">This spec names a local folder ({m.path}); the browser cannot read it.</p>
      )}
    </fieldset>
  );
}

export function DataSection({ disabled, showPairing }: SectionProps & { showPairing: boolean }) {
  const { spec } = useSpecForm();
  const d = spec.data;
  return (
    <fieldset className="form-section" id="data" disabled={disabled}>
      <legend>Data</legend>
      {d.source === 'task' ? (
        <>
          <Field
            path="data.nInstructions"
            hint={
              d.nInstructions > applesTrainPoolSize()
                ? `the apples task has ${formatCount(applesTrainPoolSize())} training instructions: a run uses all of them, not ${formatCount(d.nInstructions)}`
                : undefined
            }
          />
          <Field path="data.candidatesPerInstruction" />
        </>
      ) : (
        <p className="muted field-wide">
          {d.source === 'paper'
            ? 'Data from the JPO paper’s bundled Anthropic-helpful files (see Paper data).'
            : `Data from ${d.source === 'hub' ? `the Hub (${d.repo})` : 'a file'} in format “${d.format}”.`}
        </p>
      )}
      {showPairing && (
        <>
          <Field path="data.pairing.mode" write={(s, mode: PairSet) => setPairingMode(s, mode)} />
          <Field path="data.pairing.protocol" />
          <Field path="data.pairing.budget" />
          {d.pairing.protocol === 'per-run' && <Field path="data.pairing.jointShare" />}
          <Field
            path="data.pairing.judge"
            choices={allowedJudges(d.source)}
            hint={
              d.pairing.judge === 'human'
                ? 'you answer each pair once, while the run waits (Train section); keep the budget small'
                : undefined
            }
          />
        </>
      )}
      <Field path="data.maxLength" />
    </fieldset>
  );
}

export function EditsSummary({
  spec,
  edit,
  disabled,
}: {
  spec: ExperimentSpec;
  edit: (fn: (d: ExperimentSpec) => void) => void;
  disabled: boolean;
}) {
  const { add, remove } = spec.data.edits;
  if (add.length === 0 && remove.length === 0) return null;
  const joint = add.filter((r) => r.i_chosen !== r.i_reject).length;
  return (
    <div className="edits-summary" data-testid="edits-summary">
      <span>
        <strong>{add.length}</strong> extra labelled pair{add.length === 1 ? '' : 's'} ({add.length - joint}{' '}
        conditional, {joint} joint){remove.length > 0 ? `, ${remove.length} pairs removed` : ''}: appended to the judged
        pairs.
      </span>
      <button
        type="button"
        className="button button-small"
        disabled={disabled}
        onClick={() =>
          edit((s) => {
            s.data.edits = { add: [], remove: [] };
          })
        }
      >
        Remove edits
      </button>
    </div>
  );
}

export function RunsSection({ disabled }: SectionProps) {
  const { spec, edit } = useSpecForm();
  return (
    <fieldset className="form-section form-section-wide" id="runs-form" disabled={disabled}>
      <legend>Runs</legend>
      <p className="muted section-note">
        Every run starts from the same weights and sees the same data in the same order; only these settings differ. An
        empty β, ε, γ or λ takes the objective's own default (shown in grey).
      </p>
      <div className="runs-grid">
        {spec.runs.map((run, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: runs are edited in place; the index is their identity
          <div className="run-row" key={i}>
            <Field path={`runs[${i}].label`} label={`Run ${i + 1} label`} hint={null} />
            <Field
              path={`runs[${i}].objective`}
              hint={OBJECTIVE_LINES[run.objective]}
              write={(s, objective: Objective) => setRunObjective(s, i, objective)}
            />
            <Field path={`runs[${i}].pairs`} hint={null} choices={pairChoices(run.objective)} />
            {runParamsShown(run.objective).map((f) => (
              <Field key={f} path={`runs[${i}].${f}`} hint={null} />
            ))}
            {!disabled && (
              <button
                type="button"
                className="button button-small button-quiet run-remove"
                disabled={spec.runs.length <= 1}
                aria-label={`Remove run ${run.label || i + 1}`}
                onClick={() => edit((s) => void s.runs.splice(i, 1))}
              >
                Remove
              </button>
            )}
          </div>
        ))}
      </div>
      {!disabled && (
        <button
          type="button"
          className="button button-small"
          disabled={spec.runs.length >= SPEC_LIMITS.runs.max}
          onClick={() => edit(addRun)}
        >
          Add a run
        </button>
      )}
    </fieldset>
  );
}

export function TrainingSection({ disabled, hide }: SectionProps & { hide: ReadonlySet<string> }) {
  const { spec, errors, edit } = useSpecForm();
  return (
    <fieldset className="form-section form-section-wide" id="training-form" disabled={disabled}>
      <legend>Training</legend>
      <div className="field-grid">
        <Field path="steps" />
        <Field path="batchSize" />
        {!hide.has('optimizer') && (
          <>
            <Field path="optimizer.lr" />
            <Field path="optimizer.maxGradNorm" />
          </>
        )}
        {!hide.has('schedule') && (
          <>
            <Field path="schedule.kind" />
            <Field path="schedule.warmupSteps" />
          </>
        )}
        {!hide.has('lora') && (
          <>
            <Field path="lora.enabled" />
            {spec.lora.enabled && (
              <>
                <Field path="lora.r" />
                <Field path="lora.alpha" />
                <Field path="lora.targetModules" />
              </>
            )}
          </>
        )}
        {!hide.has('sft') && (
          <CheckboxField
            label="Supervised fine-tuning first"
            path="sft"
            errors={errors}
            checked={spec.sft !== null}
            onChange={(on) => edit((s) => setSft(s, on))}
            hint={spec.sft ? `${spec.sft.steps} SFT steps before preference training` : 'off'}
          />
        )}
      </div>
    </fieldset>
  );
}

export function EvalSection({ disabled }: SectionProps) {
  const { spec } = useSpecForm();
  return (
    <fieldset className="form-section" id="eval-form" disabled={disabled}>
      <legend>Evaluation</legend>
      <EvalTestField />
      <Field path="eval.nTest" />
      <Field path="eval.maxNewTokens" />
      <Field path="eval.temperature" />
      <Field
        path="eval.judge"
        choices={allowedJudges(spec.data.source)}
        hint={
          spec.eval.judge === 'human' ? 'blind: you see two answers in random order; keep eval.nTest small' : undefined
        }
      />
      <Field path="eval.compareAgainst" />
    </fieldset>
  );
}
