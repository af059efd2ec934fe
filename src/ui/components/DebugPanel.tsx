/**
 * Developer drills, out of students' sight: shown only with `?debug=1` in the address. Today one
 * drill: destroy the GPU device mid-run, as a driver reset would, to watch training move to the CPU.
 */
import { loseDevice } from '../../state/orchard-worker.ts';
import { useRunStore } from '../../state/run-store.ts';
import { useSpecStore } from '../../state/spec-store.ts';

export function DebugPanel() {
  const debug = useSpecStore((s) => s.debug);
  const canLoseDevice = useRunStore(
    (s) => s.session?.origin === 'live' && s.session.backend === 'webgpu' && s.session.status === 'running',
  );
  if (!debug) return null;
  return (
    <details className="card debug-panel" data-testid="debug-panel" open>
      <summary>
        <h2>Developer drills</h2>
        <span className="muted">shown because the address has ?debug=1</span>
      </summary>
      {canLoseDevice ? (
        <p>
          <button
            type="button"
            className="button"
            onClick={loseDevice}
            title="Destroys the GPU device, as a driver reset would: training continues on the CPU from its last checkpoint"
            data-testid="lose-device"
          >
            Simulate GPU loss
          </button>{' '}
          <span className="muted small">training continues on the CPU from its last checkpoint.</span>
        </p>
      ) : (
        <p className="muted small">Simulate GPU loss: offered while a run trains on WebGPU.</p>
      )}
    </details>
  );
}
