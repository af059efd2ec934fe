/**
 * A checkpoint store view that hands a resumed run's logged metrics back to the page. The pipeline
 * restores them from the checkpoint but does not emit them again; after a page reload the page has
 * none, so without this its charts and saved run would start at the checkpoint's step. Re-sent
 * steps replace the page's rows of the same step (run-store.ts), so sending them twice is harmless.
 */
import type { CheckpointStore } from '../src/lab/checkpoint.ts';
import { decodeCheckpoint } from '../src/lab/checkpoint.ts';
import type { MetricsEvent } from '../src/lab/events.ts';

const OPEN_BRACE = 0x7b;

export class ReplayedMetrics implements CheckpointStore {
  constructor(
    private readonly inner: CheckpointStore,
    /** The fingerprint the pipeline will accept (it ignores checkpoints of other specs). */
    private readonly specHash: string,
    private readonly emit: (e: MetricsEvent) => void,
  ) {}

  save(key: string, bytes: Uint8Array): Promise<void> {
    return this.inner.save(key, bytes);
  }

  async load(key: string): Promise<Uint8Array | null> {
    const bytes = await this.inner.load(key);
    // Training checkpoints are safetensors under run:LABEL; JSON ones (the labelled data) start with '{'.
    if (!bytes || !key.startsWith('run:') || bytes[0] === OPEN_BRACE) return bytes;
    const ck = decodeCheckpoint(bytes, `checkpoint ${key}`);
    if (ck.specHash === this.specHash) for (const m of ck.metrics) this.emit(m);
    return bytes;
  }
}
