import { useEffect } from 'react';
import type { ProbeReport } from '../../engine/gpu-probe/probe.ts';
import { useCapabilityStore } from '../../state/capability-store.ts';
import { probeCapabilities } from '../../state/orchard-worker.ts';
import { AdapterDetails, FeatureList, LimitTable, SelfTest } from './CapabilityDetails.tsx';
import { RawReport } from './RawReport.tsx';

/** Which backend the training worker got (WebGPU adapter, limits, features, self-test) or why it fell back to the CPU. */
export function CapabilityPanel() {
  const status = useCapabilityStore((s) => s.status);
  const report = useCapabilityStore((s) => s.report);
  const error = useCapabilityStore((s) => s.error);
  const finished = useCapabilityStore((s) => s.finished);

  useEffect(() => {
    // StrictMode runs effects twice in development; the status check keeps it to one probe.
    if (useCapabilityStore.getState().status === 'idle') probeCapabilities();
  }, []);

  const backend = status === 'ready' && report ? report.backend : undefined;
  return (
    <section
      className="card capability"
      aria-labelledby="capability-title"
      aria-busy={status === 'probing'}
      data-testid="capability-panel"
      data-status={status}
      data-backend={backend}
      data-finished={finished}
    >
      <div className="card-head">
        <h2 id="capability-title">Training backend</h2>
        <StatusBadge status={status} report={report} />
        <button
          type="button"
          className="button"
          onClick={probeCapabilities}
          disabled={status === 'probing'}
          aria-describedby="capability-summary"
        >
          Probe again
        </button>
      </div>
      <p id="capability-summary" className="summary" aria-live="polite">
        <Summary status={status} report={report} error={error} />
      </p>
      {report && status !== 'probing' && (
        <>
          {report.webgpu && (
            <div className="capability-grid">
              <AdapterDetails webgpu={report.webgpu} />
              {report.matmul && <SelfTest matmul={report.matmul} />}
              <LimitTable limits={report.webgpu.limits} />
              <FeatureList features={report.webgpu.features} />
            </div>
          )}
          <RawReport report={report} />
        </>
      )}
    </section>
  );
}

function StatusBadge({ status, report }: { status: string; report: ProbeReport | null }) {
  if (status === 'probing' || status === 'idle') return <span className="badge badge-pending">Probing…</span>;
  if (status === 'error' || !report) return <span className="badge badge-bad">Probe failed</span>;
  return report.backend === 'webgpu' ? (
    <span className="badge badge-good">WebGPU</span>
  ) : (
    <span className="badge badge-warn">CPU fallback</span>
  );
}

function Summary({ status, report, error }: { status: string; report: ProbeReport | null; error: string | null }) {
  if (status === 'idle' || status === 'probing') {
    return <>Asking the training worker for a WebGPU adapter and running a test kernel…</>;
  }
  if (status === 'error' || !report) return <>The probe did not finish: {error ?? 'no report'}.</>;
  if (report.backend === 'cpu') return <>Training will run on the CPU: {report.fallbackReason}.</>;
  const adapter = report.webgpu?.adapter;
  const name = adapter?.description || [adapter?.vendor, adapter?.architecture].filter(Boolean).join(' ') || 'unnamed';
  return (
    <>
      Training will run on WebGPU in a worker, on <strong>{name}</strong>
      {adapter?.isFallbackAdapter
        ? '. This is a software (fallback) adapter: results are correct, but training is much slower than on a GPU.'
        : '.'}
    </>
  );
}
