/**
 * Form fields of the experiment form: a label, the control, a hint, and validateSpec's message for
 * the field's spec path right under it (aria-invalid + aria-describedby, so screen readers read it).
 *
 * `<Field path="eval.temperature" />` binds a control to the spec by path: label, help text,
 * choices and the value come from the spec schema, and edits are written back by the same path.
 * The draft, its errors and `edit` come from `SpecFormContext`.
 */
import { createContext, type ReactNode, useContext, useEffect, useId, useState } from 'react';
import { type ExperimentSpec, fieldAt, getAt, type SpecError } from '../../lab/spec.ts';
import { effectivePlaceholder, writeField } from '../lib/spec-form.ts';

interface FieldProps {
  label: ReactNode;
  /** The spec path this field edits ('runs[1].beta'); its error is shown under the field. */
  path: string;
  errors: readonly SpecError[];
  hint?: ReactNode;
  /** Hide the visible label (tables with column headers); it stays for screen readers. */
  hideLabel?: boolean;
  /** Shown on hover over the label (help text that compact rows do not print). */
  title?: string;
}

function useFieldError(path: string, errors: readonly SpecError[]): SpecError | undefined {
  return errors.find((e) => e.path === path);
}

function FieldShell({
  id,
  label,
  hint,
  error,
  hideLabel,
  children,
  path,
  title,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: SpecError;
  hideLabel?: boolean;
  children: ReactNode;
  path: string;
  title?: string;
}) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`} data-path={path}>
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : 'field-label'} title={title}>
        {label}
      </label>
      {children}
      <FieldMessages id={id} hint={hint} error={error} />
    </div>
  );
}

/** The hint, or validateSpec's message when there is one (ids for aria-describedby). */
function FieldMessages({ id, hint, error }: { id: string; hint?: ReactNode; error?: SpecError }) {
  if (error)
    return (
      <span id={`${id}-error`} className="field-error">
        {error.message}
      </span>
    );
  return hint ? (
    <span id={`${id}-hint`} className="field-hint">
      {hint}
    </span>
  ) : null;
}

function describedBy(id: string, hint: ReactNode, error: SpecError | undefined): string | undefined {
  if (error) return `${id}-error`;
  return hint ? `${id}-hint` : undefined;
}

/** A labelled control's id, aria attributes and shell (label, hint, error), shared by every field kind. */
function useControl(props: FieldProps & { disabled?: boolean }) {
  const id = useId();
  const error = useFieldError(props.path, props.errors);
  const control = {
    id,
    disabled: props.disabled,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy(id, props.hint, error),
  };
  const wrap = (children: ReactNode) => (
    <FieldShell
      id={id}
      label={props.label}
      hint={props.hint}
      error={error}
      hideLabel={props.hideLabel}
      path={props.path}
      title={props.title}
    >
      {children}
    </FieldShell>
  );
  return { control, wrap };
}

/** Shows a number the way a person typed it: 0.001, 5e-5. */
function formatNumberInput(v: number): string {
  return Number.isFinite(v) ? String(v) : '';
}

/**
 * A number typed as text (so "1e-" or "0." can be typed on the way to a value). The spec gets NaN
 * while the text is not a number, and validateSpec explains the problem next to the field.
 */
export function NumberField(
  props: FieldProps & {
    value: number | null;
    /** null when the text is empty, NaN while it is not a number. */
    onChange: (v: number | null) => void;
    placeholder?: string;
    disabled?: boolean;
  },
) {
  const { control, wrap } = useControl(props);
  const shown = props.value === null ? '' : formatNumberInput(props.value);
  const [text, setText] = useState(shown);
  useEffect(() => {
    // Follow outside changes (a preset, a share link), not our own echo (typed "1e-" stays).
    setText((t) => (t.trim() === '' ? shown : Number(t) === props.value || Number.isNaN(props.value) ? t : shown));
  }, [props.value, shown]);
  return wrap(
    <input
      {...control}
      className="input"
      type="text"
      inputMode="decimal"
      autoComplete="off"
      spellCheck={false}
      value={text}
      placeholder={props.placeholder}
      title={props.placeholder}
      onChange={(e) => {
        setText(e.target.value);
        const raw = e.target.value.trim();
        props.onChange(raw === '' ? null : Number(raw));
      }}
    />,
  );
}

export function TextField(props: FieldProps & { value: string; onChange: (v: string) => void; disabled?: boolean }) {
  const { control, wrap } = useControl(props);
  return wrap(
    <input
      {...control}
      className="input"
      type="text"
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
    />,
  );
}

export function SelectField<T extends string>(
  props: FieldProps & {
    value: T;
    options: readonly { value: T; label: string }[];
    onChange: (v: T) => void;
    disabled?: boolean;
  },
) {
  const { control, wrap } = useControl(props);
  return wrap(
    <select {...control} className="input" value={props.value} onChange={(e) => props.onChange(e.target.value as T)}>
      {props.options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>,
  );
}

export function CheckboxField(
  props: Omit<FieldProps, 'hideLabel'> & { checked: boolean; onChange: (v: boolean) => void; disabled?: boolean },
) {
  const id = useId();
  const error = useFieldError(props.path, props.errors);
  return (
    <div className={`field field-check${error ? ' field-invalid' : ''}`} data-path={props.path}>
      <label htmlFor={id} className="check">
        <input
          id={id}
          type="checkbox"
          checked={props.checked}
          disabled={props.disabled}
          aria-describedby={describedBy(id, props.hint, error)}
          onChange={(e) => props.onChange(e.target.checked)}
        />
        <span>{props.label}</span>
      </label>
      <FieldMessages id={id} hint={props.hint} error={error} />
    </div>
  );
}

/** Options from a list of ids, with optional display names. */
export function options<T extends string>(values: readonly T[], names: Partial<Record<T, string>> = {}) {
  return values.map((value) => ({ value, label: names[value] ?? value }));
}

/** What a path-bound field reads and edits: the draft, its validation errors, and `edit`. */
export interface SpecFormState {
  spec: ExperimentSpec;
  errors: readonly SpecError[];
  edit: (fn: (draft: ExperimentSpec) => void) => void;
}

export const SpecFormContext = createContext<SpecFormState | null>(null);

export function useSpecForm(): SpecFormState {
  const ctx = useContext(SpecFormContext);
  if (!ctx) throw new Error('a spec field was rendered outside SpecFormContext');
  return ctx;
}

interface BoundFieldProps {
  /** The spec path ('eval.temperature', 'runs[1].beta'). */
  path: string;
  /** Override the schema's label (e.g. "Run 2 label"). */
  label?: ReactNode;
  /** Override the schema's help text; null shows none (compact rows keep it as a tooltip). */
  hint?: ReactNode | null;
  /** Override the schema's choices (e.g. only the judges the data source allows). */
  choices?: readonly string[];
  /** Custom write, for a field other fields follow (an objective, a pairing mode). */
  write?: (draft: ExperimentSpec, value: never) => void;
  hideLabel?: boolean;
}

/** A control bound to a spec field by path: label, help, bounds and choices from the schema. */
export function Field({ path, label, hint, choices, write, hideLabel }: BoundFieldProps) {
  const { spec, errors, edit } = useSpecForm();
  const entry = fieldAt(path);
  if (!entry) throw new Error(`Field: "${path}" is not a spec field`);
  const value = getAt(spec, path);
  const set = (v: unknown) => edit((d) => (write ? write(d, v as never) : writeField(d, path, v)));
  const common = {
    label: label ?? entry.label,
    path,
    errors,
    hint: hint === null ? undefined : (hint ?? entry.help),
    title: hint === null ? entry.help : undefined,
    hideLabel,
  };
  switch (entry.type) {
    case 'int':
    case 'number':
      return (
        <NumberField
          {...common}
          value={typeof value === 'number' ? value : null}
          placeholder={effectivePlaceholder(spec, path)}
          onChange={set}
        />
      );
    case 'enum':
      return (
        <SelectField
          {...common}
          value={String(value)}
          options={options(choices ?? entry.choices ?? [], entry.choiceLabels)}
          onChange={set}
        />
      );
    case 'bool':
      return <CheckboxField {...common} checked={value === true} onChange={set} />;
    case 'text':
      return <TextField {...common} value={typeof value === 'string' ? value : ''} onChange={set} />;
    case 'set':
      return (
        <ChoiceSetField
          {...common}
          value={Array.isArray(value) ? value : []}
          choices={entry.choices ?? []}
          onChange={set}
        />
      );
    default:
      throw new Error(`Field: "${path}" is a ${entry.type}, which has no single control`);
  }
}

/** Checkboxes for a list of distinct choices (lora.targetModules), kept in the schema's order. */
function ChoiceSetField(
  props: Omit<FieldProps, 'hideLabel'> & {
    value: readonly unknown[];
    choices: readonly string[];
    onChange: (v: string[]) => void;
  },
) {
  const error = props.errors.find((e) => e.path === props.path || e.path.startsWith(`${props.path}[`));
  return (
    <fieldset className="field checks" data-path={props.path}>
      <legend className="field-label">{props.label}</legend>
      <div className="check-row">
        {props.choices.map((m) => (
          <label key={m} className="check">
            <input
              type="checkbox"
              checked={props.value.includes(m)}
              onChange={(e) => {
                const set = new Set(props.value);
                if (e.target.checked) set.add(m);
                else set.delete(m);
                props.onChange(props.choices.filter((x) => set.has(x)));
              }}
            />
            <span>{m}</span>
          </label>
        ))}
      </div>
      {error && <span className="field-error">{error.message}</span>}
    </fieldset>
  );
}
