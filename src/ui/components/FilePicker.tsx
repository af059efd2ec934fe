import { type ChangeEvent, useRef } from 'react';

/**
 * A button that opens the system's file picker for one JSON file. The file input itself stays
 * hidden (and out of the Tab order): people reach the button, tests set files on the input.
 */
export function FilePicker({
  label,
  inputLabel,
  onFile,
  disabled = false,
  testId,
}: {
  label: string;
  /** The hidden input's accessible name (what kind of file it takes). */
  inputLabel: string;
  onFile: (file: File) => void;
  disabled?: boolean;
  testId?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  const picked = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    // Cleared at once, so picking the same file again still fires a change.
    e.target.value = '';
    if (file) onFile(file);
  };
  return (
    <>
      <button type="button" className="button" onClick={() => input.current?.click()} disabled={disabled}>
        {label}
      </button>
      <input
        ref={input}
        {...HIDDEN_JSON_INPUT}
        aria-label={inputLabel}
        {...(testId ? { 'data-testid': testId } : {})}
        onChange={picked}
      />
    </>
  );
}

const HIDDEN_JSON_INPUT = {
  type: 'file',
  accept: '.json,application/json',
  className: 'visually-hidden',
  tabIndex: -1,
} as const;
