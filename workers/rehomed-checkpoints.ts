/**
 * A checkpoint store view that lets a run continue on another backend. The pipeline refuses
 * checkpoints whose spec fingerprint differs, and the fingerprint includes the backend (numbers
 * differ slightly across backends, so a resumed run is not bit-identical to an uninterrupted one).
 * After a GPU device loss that is exactly what we want: keep the steps already trained and go on
 * on the CPU. This view re-stamps checkpoints made under `fromHash` as `toHash` when they are read.
 */
import {
  type CheckpointStore,
  decodeCheckpoint,
  encodeCheckpoint,
  encodeJsonCheckpoint,
} from '../src/lab/checkpoint.ts';

const OPEN_BRACE = 0x7b;

export class RehomedCheckpoints implements CheckpointStore {
  constructor(
    private readonly inner: CheckpointStore,
    private readonly fromHash: string,
    private readonly toHash: string,
  ) {}

  save(key: string, bytes: Uint8Array): Promise<void> {
    return this.inner.save(key, bytes);
  }

  async load(key: string): Promise<Uint8Array | null> {
    const bytes = await this.inner.load(key);
    if (!bytes) return null;
    // JSON checkpoints (the labelled data) start with '{'; training checkpoints are safetensors.
    if (bytes[0] === OPEN_BRACE) {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { specHash?: string; value: unknown };
      return parsed.specHash === this.fromHash ? encodeJsonCheckpoint(this.toHash, parsed.value) : bytes;
    }
    const ck = decodeCheckpoint(bytes, `checkpoint ${key}`);
    return ck.specHash === this.fromHash ? encodeCheckpoint({ ...ck, specHash: this.toHash }) : bytes;
  }
}

/** The optimizer step of the checkpoint saved under `key`, or null when there is none. */
export async function checkpointStep(store: CheckpointStore, key: string): Promise<number | null> {
  const bytes = await store.load(key);
  if (!bytes || bytes[0] === OPEN_BRACE) return null;
  return decodeCheckpoint(bytes, `checkpoint ${key}`).step;
}
