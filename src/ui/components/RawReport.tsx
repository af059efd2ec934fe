import { useState } from 'react';
import type { ProbeReport } from '../../engine/gpu-probe/probe.ts';

/** The report as JSON, the same shape `npm run orchard -- gpu-info` prints, with a copy button for bug reports. */
export function RawReport({ report }: { report: ProbeReport }) {
  const [copied, setCopied] = useState<'idle' | 'done' | 'failed'>('idle');
  const json = JSON.stringify(report, null, 2);
  const copy = () => {
    navigator.clipboard.writeText(json).then(
      () => setCopied('done'),
      () => setCopied('failed'),
    );
  };
  return (
    <details className="raw">
      <summary>Full report (JSON)</summary>
      <div className="raw-actions">
        <button type="button" className="button" onClick={copy}>
          Copy JSON
        </button>
        <span role="status" className="muted">
          {copied === 'done' ? 'Copied.' : copied === 'failed' ? 'Copy failed: select the text instead.' : ''}
        </span>
      </div>
      <pre data-testid="capability-json">{json}</pre>
    </details>
  );
}
