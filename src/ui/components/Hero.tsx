/**
 * The first screen: what the lab shows, one button that trains DPO and JPO side by side, the
 * backend it will use and about how long it will take. Everything else folds under "Customise".
 */
import { useCapabilityStore } from '../../state/capability-store.ts';
import { useHistoryStore } from '../../state/history-store.ts';
import { isLiveStatus, useRunStore } from '../../state/run-store.ts';
import { useSpecStore } from '../../state/spec-store.ts';
import { type EstimateBackend, estimateRun } from '../lib/estimate.ts';
import { formatDuration } from '../lib/eta.ts';
import { dpoVsJpo } from '../lib/presets.ts';
import { startExperiment } from '../lib/run-actions.ts';

/** The backend a run of `choice` gets here: null while the browser's GPU is still being checked. */
export function useBackendToUse(choice: string): EstimateBackend | null {
  const report = useCapabilityStore((s) => s.report);
  const status = useCapabilityStore((s) => s.status);
  if (choice === 'cpu') return 'cpu';
  if (report) return report.backend;
  return status === 'error' ? 'cpu' : null;
}

export function Hero() {
  const draft = useSpecStore((s) => s.draft);
  const errors = useSpecStore((s) => s.errors.length);
  const locked = useSpecStore((s) => s.view.readonly);
  const setCustomiseOpen = useSpecStore((s) => s.setCustomiseOpen);
  const running = useRunStore((s) => s.session?.origin === 'live' && isLiveStatus(s.session.status));
  const history = useHistoryStore((s) => s.runs);
  const backend = useBackendToUse(draft.backend);
  if (locked) return null;
  const estimate = backend ? estimateRun(dpoVsJpo(draft), backend, history) : null;
  const customise = () => {
    setCustomiseOpen(true);
    document.getElementById('experiment')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };
  return (
    <section className="card hero" aria-labelledby="hero-title" data-testid="hero">
      <h2 id="hero-title">Does a model learn more from comparing different questions?</h2>
      <p className="hero-lead">
        <strong>DPO</strong> learns from two answers to the <em>same</em> prompt. <strong>JPO</strong> (joint preference
        optimization) scores prompt and answer together, so it can also learn that a good answer to one prompt beats a
        poor answer to another. One click trains both on a small model, in this browser, from the same weights, data and
        seed: watch their curves, then their win rates.
      </p>
      <div className="hero-actions">
        <button
          type="button"
          className="button button-primary button-large"
          disabled={running || errors > 0}
          onClick={() => startExperiment(true)}
          data-testid="compare"
        >
          Compare DPO vs JPO
        </button>
        <button type="button" className="button button-large" onClick={customise} data-testid="open-customise">
          Customise…
        </button>
      </div>
      <p className="hero-meta muted" data-testid="hero-estimate">
        {backend === null ? (
          'Checking this browser’s GPU…'
        ) : (
          <>
            Runs on <strong>{backend === 'cpu' ? 'the CPU' : 'the GPU (WebGPU)'}</strong>
            {estimate && (
              <>
                {' '}
                · about <strong data-testid="hero-eta">{formatDuration(estimate.totalMs)}</strong> in all (
                {estimate.basis})
              </>
            )}
          </>
        )}
        {errors > 0 && ' · fix the settings under Customise first'}
      </p>
    </section>
  );
}
