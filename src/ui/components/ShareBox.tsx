/**
 * Share an experiment: the whole spec in the URL fragment (share-link.ts). Shows the link in a
 * field (select it to copy by hand), copies it, and past the size cap offers the spec as a file.
 */
import { useEffect, useId, useState } from 'react';
import { encodeShareLink } from '../../lab/share-link.ts';
import type { ExperimentSpec } from '../../lab/spec.ts';
import { slug } from '../../state/history-store.ts';
import { downloadFile } from '../download.ts';
import { ExportTorchButton } from './ExportTorchButton.tsx';

type Link = { url: string; tooLarge: boolean; bytes: number; limit: number } | { error: string };

export function ShareBox({ spec, onClose }: { spec: ExperimentSpec; onClose: () => void }) {
  const [link, setLink] = useState<Link | null>(null);
  const [copied, setCopied] = useState<'idle' | 'done' | 'failed'>('idle');
  const id = useId();

  useEffect(() => {
    let live = true;
    encodeShareLink(spec).then(
      (enc) => {
        const base = `${location.origin}${location.pathname}${location.search}`;
        if (live)
          setLink({ url: `${base}${enc.fragment}`, tooLarge: enc.tooLarge, bytes: enc.bytes, limit: enc.limit });
      },
      (err: unknown) => live && setLink({ error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [spec]);

  const downloadSpec = () =>
    downloadFile(`${slug(spec.name)}.orchard-spec.json`, `${JSON.stringify(spec, null, 2)}\n`, 'application/json');

  return (
    <section className="share-box" aria-labelledby={`${id}-title`} data-testid="share-box">
      <div className="share-head">
        <h3 id={`${id}-title`}>Share this experiment</h3>
        <button type="button" className="button button-small button-quiet" onClick={onClose} aria-label="Close sharing">
          Close
        </button>
      </div>
      {!link && <p className="muted">Packing the experiment…</p>}
      {link && 'error' in link && <p className="error-text">{link.error}</p>}
      {link && 'url' in link && !link.tooLarge && (
        <>
          <p className="muted">
            The link holds the whole experiment (every setting, the seed and your labelled pairs): whoever opens it and
            presses Run trains exactly this. Nothing is uploaded; the part after “#” never leaves the browser.
          </p>
          <div className="share-row">
            <label htmlFor={`${id}-url`} className="visually-hidden">
              Share link
            </label>
            <input
              id={`${id}-url`}
              className="input share-url"
              readOnly
              value={link.url}
              data-testid="share-url"
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              className="button button-primary"
              onClick={() =>
                navigator.clipboard.writeText(link.url).then(
                  () => setCopied('done'),
                  () => setCopied('failed'),
                )
              }
            >
              Copy link
            </button>
          </div>
          <p role="status" className="muted share-status">
            {copied === 'done'
              ? 'Copied to the clipboard.'
              : copied === 'failed'
                ? 'The browser refused the clipboard: select the link and copy it.'
                : `${link.bytes.toLocaleString('en-US')} characters.`}
          </p>
        </>
      )}
      {link && 'url' in link && link.tooLarge && (
        <div className="notice notice-warn" role="status" data-testid="share-too-large">
          <p>
            This experiment packs to {link.bytes.toLocaleString('en-US')} characters, more than a link can safely carry
            ({link.limit.toLocaleString('en-US')}). Share it as a file instead: the other person opens it with “Open
            spec file”.
          </p>
        </div>
      )}
      <div className="share-row">
        <button type="button" className="button" onClick={downloadSpec}>
          Download spec file
        </button>
      </div>
      <ExportTorchButton spec={spec} />
    </section>
  );
}
