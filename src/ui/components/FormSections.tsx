/**
 * The experiment form's sections, one per part of the spec. Each edits the draft in the spec store
 * through `edit` and shows validateSpec's errors next to its fields. Sections a teacher hid
 * (?hide=...) are not rendered.
 */
import {
  EVAL_BASELINES,
  type ExperimentSpec,
  LORA_MODULES,
  OBJECTIVES,
  PAIRING_MODES,
  REFERENCE_MODES,
  SCHEDULES,
  SPEC_LIMITS,
  type SpecError,
} from '../../lab/spec.ts';
import { DEFAULT_RUN, DEFAULT_SFT, OBJECTIVE_LABELS } from '../../lab/spec-defaults.ts';
import { CheckboxField, NumberField, options, SelectField, TextField } from './fields.tsx';

export interface SectionProps {
  spec: ExperimentSpec;
  errors: readonly SpecError[];
  edit: (fn: (d: ExperimentSpec) => void) => void;
  disabled: boolean;
}

const PAIRS_NAMES = { conditional: 'conditional', joint: 'joint', both: 'conditional + joint' } as const;
const JUDGE_NAMES = { oracle: 'exact checker (task)', 'reward-model': 'reward model', human: 'a person' } as const;

/** The judges a data source allows: the exact checker exists for task data only. */
function judgeOptions(source: ExperimentSpec['data']['source']) {
  return options(
    source === 'task' ? (['oracle', 'reward-model', 'human'] as const) : (['reward-model', 'human'] as const),
    JUDGE_NAMES,
  );
}

export function ModelSection({ spec, errors, edit, disabled }: SectionProps) {
  const m = spec.model;
  return (
    <fieldset className="form-section" id="model" disabled={disabled}>
      <legend>Model</legend>
      <SelectField
        label="Base model"
        path="model.source"
        errors={errors}
        value={m.source}
        options={[
          { value: 'bundled', label: 'orchard-tiny (bundled, 4 layers)' },
          { value: 'hub', label: 'Hugging Face Hub' },
          ...(m.source === 'local' ? [{ value: 'local' as const, label: 'local folder (CLI only)' }] : []),
        ]}
        onChange={(source) =>
          edit((d) => {
            d.model =
              source === 'hub'
                ? { source: 'hub', repo: '', revision: 'main' }
                : { source: 'bundled', id: 'orchard-tiny' };
          })
        }
        hint="the bundled model was trained for the apples task and ships with the lab"
      />
      {m.source === 'hub' && (
        <>
          <TextField
            label="Repository"
            path="model.repo"
            errors={errors}
            value={m.repo}
            onChange={(repo) =>
              edit((d) => {
                d.model = { ...(d.model as typeof m), repo };
              })
            }
            hint="owner/name, e.g. HuggingFaceTB/SmolLM2-135M"
          />
          <TextField
            label="Revision"
            path="model.revision"
            errors={errors}
            value={m.revision}
            onChange={(revision) =>
              edit((d) => {
                d.model = { ...(d.model as typeof m), revision };
              })
            }
            hint="pin a commit to reproduce exactly"
          />
        </>
      )}
      {m.source === 'local' && (
        <p className="muted">This spec names a local folder ({m.path}); the browser cannot read it.</p>
      )}
    </fieldset>
  );
}

export function DataSection({ spec, errors, edit, disabled, showPairing }: SectionProps & { showPairing: boolean }) {
  const d = spec.data;
  return (
    <fieldset className="form-section" id="data" disabled={disabled}>
      <legend>Data</legend>
      {d.source === 'task' ? (
        <>
          <NumberField
            label="Instructions"
            path="data.nInstructions"
            errors={errors}
            value={d.nInstructions}
            onChange={(v) =>
              edit((s) => {
                (s.data as typeof d).nInstructions = v;
              })
            }
            hint="training instructions from the apples task"
          />
          <NumberField
            label="Answers per instruction"
            path="data.candidatesPerInstruction"
            errors={errors}
            value={d.candidatesPerInstruction}
            onChange={(v) =>
              edit((s) => {
                (s.data as typeof d).candidatesPerInstruction = v;
              })
            }
            hint="sampled from the model, then paired and judged"
          />
        </>
      ) : (
        <p className="muted field-wide">
          Data from {d.source === 'hub' ? `the Hub (${d.repo})` : 'a file'} in format “{d.format}”.
        </p>
      )}
      {showPairing && (
        <>
          <SelectField
            label="Pairs"
            path="data.pairing.mode"
            errors={errors}
            value={d.pairing.mode}
            options={options(PAIRING_MODES, PAIRS_NAMES)}
            onChange={(mode) =>
              edit((s) => {
                s.data.pairing.mode = mode;
                for (const r of s.runs)
                  if (mode !== 'both' && r.pairs !== mode && r.objective === 'jpo') r.pairs = mode;
              })
            }
            hint="conditional: same instruction; joint: different instructions"
          />
          <NumberField
            label="Judge budget"
            path="data.pairing.budget"
            errors={errors}
            value={d.pairing.budget}
            onChange={(v) =>
              edit((s) => {
                s.data.pairing.budget = Number.isNaN(v) ? null : v;
              })
            }
            hint="pairs to judge (each asked in both orders); empty: all pairs"
          />
          <SelectField
            label="Judge"
            path="data.pairing.judge"
            errors={errors}
            value={d.pairing.judge}
            options={judgeOptions(d.source)}
            onChange={(judge) =>
              edit((s) => {
                s.data.pairing.judge = judge;
              })
            }
            hint={
              d.pairing.judge === 'human'
                ? 'you answer each pair once, while the run waits (Train section); keep the budget small'
                : 'who decides which side of a pair is better'
            }
          />
        </>
      )}
      <NumberField
        label="Max tokens"
        path="data.maxLength"
        errors={errors}
        value={d.maxLength}
        onChange={(v) =>
          edit((s) => {
            s.data.maxLength = v;
          })
        }
        hint="per sequence, prompt included"
      />
    </fieldset>
  );
}

export function EditsSummary({ spec, edit, disabled }: Omit<SectionProps, 'errors'>) {
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

export function RunsSection({ spec, errors, edit, disabled }: SectionProps) {
  const pairsFor = (objective: string) =>
    objective === 'jpo' || objective === 'sft' ? PAIRING_MODES : (['conditional'] as const);
  return (
    <fieldset className="form-section form-section-wide" id="runs-form" disabled={disabled}>
      <legend>Runs</legend>
      <p className="muted section-note">
        Every run starts from the same weights and sees the same data in the same order; only these settings differ.
      </p>
      <div className="runs-grid">
        {spec.runs.map((run, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: runs are edited in place; the index is their identity
          <div className="run-row" key={i}>
            <TextField
              label={`Run ${i + 1} label`}
              path={`runs[${i}].label`}
              errors={errors}
              value={run.label}
              onChange={(label) =>
                edit((s) => {
                  s.runs[i].label = label;
                })
              }
            />
            <SelectField
              label="Objective"
              path={`runs[${i}].objective`}
              errors={errors}
              value={run.objective}
              options={options(OBJECTIVES, OBJECTIVE_LABELS)}
              onChange={(objective) =>
                edit((s) => {
                  const r = s.runs[i];
                  r.objective = objective;
                  if (objective !== 'jpo' && objective !== 'sft') r.pairs = 'conditional';
                  else if (objective === 'jpo') r.pairs = s.data.pairing.mode;
                })
              }
            />
            <SelectField
              label="Trains on"
              path={`runs[${i}].pairs`}
              errors={errors}
              value={run.pairs}
              options={options(pairsFor(run.objective), PAIRS_NAMES)}
              onChange={(pairs) =>
                edit((s) => {
                  s.runs[i].pairs = pairs;
                })
              }
            />
            <NumberField
              label="β"
              path={`runs[${i}].beta`}
              errors={errors}
              value={run.beta}
              onChange={(v) =>
                edit((s) => {
                  s.runs[i].beta = v;
                })
              }
            />
            {(run.objective === 'cdpo' || run.objective === 'robust') && (
              <NumberField
                label="Label noise ε"
                path={`runs[${i}].labelSmoothing`}
                errors={errors}
                value={run.labelSmoothing}
                onChange={(v) =>
                  edit((s) => {
                    s.runs[i].labelSmoothing = v;
                  })
                }
              />
            )}
            {run.objective === 'simpo' && (
              <NumberField
                label="Margin γ"
                path={`runs[${i}].simpoGamma`}
                errors={errors}
                value={run.simpoGamma}
                onChange={(v) =>
                  edit((s) => {
                    s.runs[i].simpoGamma = v;
                  })
                }
              />
            )}
            {run.objective === 'orpo' && (
              <NumberField
                label="Weight λ"
                path={`runs[${i}].orpoLambda`}
                errors={errors}
                value={run.orpoLambda}
                onChange={(v) =>
                  edit((s) => {
                    s.runs[i].orpoLambda = v;
                  })
                }
              />
            )}
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
          onClick={() =>
            edit((s) => {
              const used = new Set(s.runs.map((r) => r.label));
              let label = 'IPO';
              for (let n = 2; used.has(label); n++) label = `IPO ${n}`;
              s.runs.push({ label, objective: 'ipo', pairs: 'conditional', ...DEFAULT_RUN });
            })
          }
        >
          Add a run
        </button>
      )}
    </fieldset>
  );
}

export function TrainingSection({ spec, errors, edit, disabled, hide }: SectionProps & { hide: ReadonlySet<string> }) {
  return (
    <fieldset className="form-section form-section-wide" id="training-form" disabled={disabled}>
      <legend>Training</legend>
      <div className="field-grid">
        <NumberField
          label="Steps"
          path="steps"
          errors={errors}
          value={spec.steps}
          onChange={(v) =>
            edit((s) => {
              s.steps = v;
            })
          }
          hint="optimizer updates per run"
        />
        <NumberField
          label="Batch size"
          path="batchSize"
          errors={errors}
          value={spec.batchSize}
          onChange={(v) =>
            edit((s) => {
              s.batchSize = v;
            })
          }
          hint="pairs per step"
        />
        {!hide.has('optimizer') && (
          <>
            <NumberField
              label="Learning rate"
              path="optimizer.lr"
              errors={errors}
              value={spec.optimizer.lr}
              onChange={(v) =>
                edit((s) => {
                  s.optimizer.lr = v;
                })
              }
              hint="AdamW"
            />
            <NumberField
              label="Gradient clip"
              path="optimizer.maxGradNorm"
              errors={errors}
              value={spec.optimizer.maxGradNorm}
              onChange={(v) =>
                edit((s) => {
                  s.optimizer.maxGradNorm = Number.isNaN(v) ? null : v;
                })
              }
              hint="max global norm; empty: off"
            />
          </>
        )}
        {!hide.has('schedule') && (
          <>
            <SelectField
              label="Schedule"
              path="schedule.kind"
              errors={errors}
              value={spec.schedule.kind}
              options={options(SCHEDULES)}
              onChange={(kind) =>
                edit((s) => {
                  s.schedule.kind = kind;
                })
              }
            />
            <NumberField
              label="Warm-up steps"
              path="schedule.warmupSteps"
              errors={errors}
              value={spec.schedule.warmupSteps}
              onChange={(v) =>
                edit((s) => {
                  s.schedule.warmupSteps = v;
                })
              }
            />
          </>
        )}
        {!hide.has('lora') && (
          <>
            <CheckboxField
              label="LoRA adapters"
              path="lora.enabled"
              errors={errors}
              checked={spec.lora.enabled}
              onChange={(v) =>
                edit((s) => {
                  s.lora.enabled = v;
                })
              }
              hint="train small adapters instead of every weight"
            />
            {spec.lora.enabled && (
              <>
                <NumberField
                  label="LoRA rank r"
                  path="lora.r"
                  errors={errors}
                  value={spec.lora.r}
                  onChange={(v) =>
                    edit((s) => {
                      s.lora.r = v;
                    })
                  }
                />
                <NumberField
                  label="LoRA α"
                  path="lora.alpha"
                  errors={errors}
                  value={spec.lora.alpha}
                  onChange={(v) =>
                    edit((s) => {
                      s.lora.alpha = v;
                    })
                  }
                  hint="scale = α / r"
                />
                <fieldset className="field checks" data-path="lora.targetModules">
                  <legend className="field-label">Adapters on</legend>
                  <div className="check-row">
                    {LORA_MODULES.map((m) => (
                      <label key={m} className="check">
                        <input
                          type="checkbox"
                          checked={spec.lora.targetModules.includes(m)}
                          onChange={(e) =>
                            edit((s) => {
                              const set = new Set(s.lora.targetModules);
                              if (e.target.checked) set.add(m);
                              else set.delete(m);
                              s.lora.targetModules = LORA_MODULES.filter((x) => set.has(x));
                            })
                          }
                        />
                        <span>{m}</span>
                      </label>
                    ))}
                  </div>
                  {errors.find((e) => e.path.startsWith('lora.targetModules')) && (
                    <span className="field-error">
                      {errors.find((e) => e.path.startsWith('lora.targetModules'))?.message}
                    </span>
                  )}
                </fieldset>
              </>
            )}
          </>
        )}
        {!hide.has('reference') && (
          <SelectField
            label="Reference model"
            path="reference"
            errors={errors}
            value={spec.reference}
            options={options(REFERENCE_MODES)}
            onChange={(v) =>
              edit((s) => {
                s.reference = v;
              })
            }
            hint="how π_ref is scored"
          />
        )}
        {!hide.has('sft') && (
          <CheckboxField
            label="Supervised fine-tuning first"
            path="sft"
            errors={errors}
            checked={spec.sft !== null}
            onChange={(on) =>
              edit((s) => {
                s.sft = on ? { ...DEFAULT_SFT } : null;
              })
            }
            hint={spec.sft ? `${spec.sft.steps} SFT steps before preference training` : 'off'}
          />
        )}
      </div>
    </fieldset>
  );
}

export function EvalSection({ spec, errors, edit, disabled }: SectionProps) {
  return (
    <fieldset className="form-section" id="eval-form" disabled={disabled}>
      <legend>Evaluation</legend>
      <NumberField
        label="Held-out questions"
        path="eval.nTest"
        errors={errors}
        value={spec.eval.nTest}
        onChange={(v) =>
          edit((s) => {
            s.eval.nTest = v;
          })
        }
        hint="0 skips evaluation"
      />
      <NumberField
        label="Answer length"
        path="eval.maxNewTokens"
        errors={errors}
        value={spec.eval.maxNewTokens}
        onChange={(v) =>
          edit((s) => {
            s.eval.maxNewTokens = v;
          })
        }
        hint="new tokens per answer"
      />
      <NumberField
        label="Temperature"
        path="eval.temperature"
        errors={errors}
        value={spec.eval.temperature}
        onChange={(v) =>
          edit((s) => {
            s.eval.temperature = v;
          })
        }
        hint="0 is greedy"
      />
      <SelectField
        label="Judge"
        path="eval.judge"
        errors={errors}
        value={spec.eval.judge}
        options={judgeOptions(spec.data.source)}
        onChange={(judge) =>
          edit((s) => {
            s.eval.judge = judge;
          })
        }
        hint={
          spec.eval.judge === 'human'
            ? 'blind: you see two answers in random order; keep eval.nTest small'
            : 'who compares each answer with the other side'
        }
      />
      <SelectField
        label="Compared with"
        path="eval.compareAgainst"
        errors={errors}
        value={spec.eval.compareAgainst}
        options={options(EVAL_BASELINES, { 'reference-model': 'the untrained model', gold: 'the gold answer' })}
        onChange={(v) =>
          edit((s) => {
            s.eval.compareAgainst = v;
          })
        }
      />
    </fieldset>
  );
}
