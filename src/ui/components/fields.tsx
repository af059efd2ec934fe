/**
 * Form fields of the experiment form: a label, the control, a hint, and validateSpec's message for
 * the field's spec path right under it (aria-invalid + aria-describedby, so screen readers read it).
 */
import { type ReactNode, useEffect, useId, useState } from 'react';
import type { SpecError } from '../../lab/spec.ts';

interface FieldProps {
  label: ReactNode;
  /** The spec path this field edits ('runs[1].beta'); its error is shown under the field. */
  path: string;
  errors: readonly SpecError[];
  hint?: ReactNode;
  /** Hide the visible label (tables with column headers); it stays for screen readers. */
  hideLabel?: boolean;
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
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: SpecError;
  hideLabel?: boolean;
  children: ReactNode;
  path: string;
}) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`} data-path={path}>
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : 'field-label'}>
        {label}
      </label>
      {children}
      {hint && !error && (
        <span id={`${id}-hint`} className="field-hint">
          {hint}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error.message}
        </span>
      )}
    </div>
  );
}

function describedBy(id: string, hint: ReactNode, error: SpecError | undefined): string | undefined {
  if (error) return `${id}-error`;
  return hint ? `${id}-hint` : undefined;
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
  props: FieldProps & { value: number | null; onChange: (v: number) => void; step?: string; disabled?: boolean },
) {
  const id = useId();
  const error = useFieldError(props.path, props.errors);
  const shown = props.value === null ? '' : formatNumberInput(props.value);
  const [text, setText] = useState(shown);
  useEffect(() => {
    // Follow outside changes (a preset, a share link), not our own echo.
    setText((t) => (t.trim() !== '' && Number(t) === props.value ? t : shown));
  }, [props.value, shown]);
  return (
    <FieldShell
      id={id}
      label={props.label}
      hint={props.hint}
      error={error}
      hideLabel={props.hideLabel}
      path={props.path}
    >
      <input
        id={id}
        className="input"
        type="text"
        inputMode="decimal"
        autoComplete="off"
        spellCheck={false}
        value={text}
        disabled={props.disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, props.hint, error)}
        onChange={(e) => {
          setText(e.target.value);
          const raw = e.target.value.trim();
          props.onChange(raw === '' ? Number.NaN : Number(raw));
        }}
      />
    </FieldShell>
  );
}

export function TextField(props: FieldProps & { value: string; onChange: (v: string) => void; disabled?: boolean }) {
  const id = useId();
  const error = useFieldError(props.path, props.errors);
  return (
    <FieldShell
      id={id}
      label={props.label}
      hint={props.hint}
      error={error}
      hideLabel={props.hideLabel}
      path={props.path}
    >
      <input
        id={id}
        className="input"
        type="text"
        value={props.value}
        disabled={props.disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, props.hint, error)}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </FieldShell>
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
  const id = useId();
  const error = useFieldError(props.path, props.errors);
  return (
    <FieldShell
      id={id}
      label={props.label}
      hint={props.hint}
      error={error}
      hideLabel={props.hideLabel}
      path={props.path}
    >
      <select
        id={id}
        className="input"
        value={props.value}
        disabled={props.disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, props.hint, error)}
        onChange={(e) => props.onChange(e.target.value as T)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldShell>
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
      {props.hint && !error && (
        <span id={`${id}-hint`} className="field-hint">
          {props.hint}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error.message}
        </span>
      )}
    </div>
  );
}

/** Options from a list of ids, with optional display names. */
export function options<T extends string>(values: readonly T[], names: Partial<Record<T, string>> = {}) {
  return values.map((value) => ({ value, label: names[value] ?? value }));
}
