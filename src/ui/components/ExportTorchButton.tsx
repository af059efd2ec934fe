/**
 * "Export as PyTorch project": the files `orchard export torch` writes (src/lab/export/), as one
 * zip: train.py (python3 or torchrun), spec.json, plan.json, pairs.jsonl, model/ and README.md.
 * The pairs are sampled and judged here on the CPU, exactly as the CLI does, so the project trains
 * on the same batches as the lab. For outgrowing the tab: a bigger model, more data, a cluster.
 */
import { useState } from 'react';
import type { ExperimentSpec } from '../../lab/spec.ts';
import { slug } from '../../state/history-store.ts';
import { downloadFile } from '../download.ts';

type State =
  | { kind: 'idle' }
  | { kind: 'working' }
  | { kind: 'done'; name: string }
  | { kind: 'failed'; error: string };

export function ExportTorchButton({ spec }: { spec: ExperimentSpec }) {
  const [state, setState] = useState<State>({ kind: 'idle' });

  const run = async () => {
    setState({ kind: 'working' });
    try {
      // Loaded on demand: the exporter and train.py stay out of the page bundle until used.
      const [{ exportTorchZip }, script] = await Promise.all([
        import('../../lab/export/torch-zip.ts'),
        import('../../lab/export/torch-train.py?raw'),
      ]);
      const folder = `${slug(spec.name)}-pytorch`;
      downloadFile(`${folder}.zip`, await exportTorchZip(spec, script.default, folder), 'application/zip');
      setState({ kind: 'done', name: `${folder}.zip` });
    } catch (err) {
      setState({ kind: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
  };

  return (
    <div className="share-row" data-testid="export-torch">
      <button type="button" className="button" onClick={run} disabled={state.kind === 'working'}>
        Export as PyTorch project
      </button>
      <span role="status" className={state.kind === 'failed' ? 'error-text' : 'muted'}>
        {state.kind === 'working' && 'Sampling and judging the pairs on the CPU…'}
        {state.kind === 'done' && `Saved ${state.name}: unzip, then python3 train.py (its README.md says more).`}
        {state.kind === 'failed' && state.error}
      </span>
    </div>
  );
}
