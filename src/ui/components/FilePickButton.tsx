/**
 * A button that opens the browser's file picker (a hidden file input behind it) and hands over the
 * one file chosen. The input is cleared after each pick, so picking the same file again still counts.
 */
import { useRef } from 'react';

interface Props {
  /** The button's text. */
  children: string;
  className: string;
  /** The input's accept list (extensions and MIME types). */
  accept: string;
  /** What the hidden input is for, for assistive technology. */
  inputLabel: string;
  onFile: (file: File) => void;
}

export function FilePickButton({ children, className, accept, inputLabel, onFile }: Props) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" className={className} onClick={() => input.current?.click()}>
        {children}
      </button>
      <input
        ref={input}
        type="file"
        accept={accept}
        className="visually-hidden"
        tabIndex={-1}
        aria-label={inputLabel}
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) onFile(f);
          e.target.value = '';
        }}
      />
    </>
  );
}
