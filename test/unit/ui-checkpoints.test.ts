/**
 * The typed checkpoint store (src/lab/checkpoint.ts): what the pipeline and the page read back,
 * which saved work is reused (same fingerprint, same backend unless adopted), and a truncated or
 * corrupt checkpoint reported with its path and the fix instead of a bare JSON or safetensors error.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Checkpoints,
  CorruptCheckpointError,
  encodeCheckpoint,
  MemoryCheckpointStore,
  type TrainCheckpoint,
} from '../../src/lab/checkpoint.ts';
import { DirCheckpointStore } from '../../src/lab/pipeline/checkpoint-dir.ts';

function checkpoint(fingerprint: string, step: number): Omit<TrainCheckpoint, 'backend'> {
  return {
    fingerprint,
    run: 'DPO',
    step,
    cursor: { epoch: 0, offset: 8 * step },
    done: false,
    params: new Map([['lora_A', new Float32Array([1, 2, 3])]]),
    m: new Map([['lora_A', new Float32Array([0.1, 0.2, 0.3])]]),
    v: new Map([['lora_A', new Float32Array([0.01, 0.02, 0.03])]]),
    metrics: [],
  };
}

const DATA = { rows: [], kinds: [], counts: null };

describe('Checkpoints (typed store)', () => {
  it('reads back runs, data and SFT of the same fingerprint and backend, and skips others with a warning', async () => {
    const store = new MemoryCheckpointStore();
    const warnings: string[] = [];
    const cks = new Checkpoints(store, { backend: 'cpu', warn: (m) => warnings.push(m) });
    await cks.saveRun(checkpoint('fp-dpo', 10));
    await cks.saveData('fp-shared', DATA);
    await cks.saveSft('fp-shared', new Map([['w', new Float32Array([4])]]), 40);
    expect([...store.entries.keys()].sort()).toEqual(['data', 'run:DPO', 'sft']);

    const ck = await cks.run('DPO', 'fp-dpo');
    expect(ck?.backend).toBe('cpu');
    expect(ck?.cursor).toEqual({ epoch: 0, offset: 80 });
    expect([...(ck?.v?.get('lora_A') ?? [])]).toEqual([...new Float32Array([0.01, 0.02, 0.03])]);
    expect(await cks.data('fp-shared')).toEqual(DATA);
    expect([...((await cks.sft('fp-shared'))?.get('w') ?? [])]).toEqual([4]);
    expect(warnings).toEqual([]);

    expect(await cks.run('DPO', 'fp-other')).toBeNull();
    expect(await cks.data('fp-other')).toBeNull();
    expect(warnings).toEqual([
      'DPO: ignoring a checkpoint made for other settings',
      'the labelled pairs: ignoring a checkpoint made for other settings',
    ]);
    expect(await cks.run('JPO', 'fp-dpo')).toBeNull();
    expect(await cks.runProgress('DPO')).toEqual({ step: 10, done: false });
    expect(await cks.runProgress('JPO')).toBeNull();
  });

  it('ignores a checkpoint of another Orchard format version instead of failing', async () => {
    const store = new MemoryCheckpointStore();
    const old = new TextEncoder().encode(JSON.stringify({ format: 'orchard-checkpoint', specHash: 'x', value: {} }));
    await store.save('data', old);
    const warnings: string[] = [];
    expect(await new Checkpoints(store, { backend: 'cpu', warn: (m) => warnings.push(m) }).data('x')).toBeNull();
    expect(warnings[0]).toMatch(/^data: ignoring a checkpoint of format version undefined/);
  });

  it('names the file and the fix when a checkpoint in a folder is truncated or corrupt', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'orchard-ckpt-')), 'checkpoints');
    const store = new DirCheckpointStore(dir);
    const cks = new Checkpoints(store, { backend: 'cpu' });
    await cks.saveRun(checkpoint('fp', 3));
    const file = join(dir, 'run%3ADPO.ckpt');
    const bytes = readFileSync(file);
    expect(bytes).toEqual(Buffer.from(encodeCheckpoint({ ...checkpoint('fp', 3), backend: 'cpu' })));
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await cks.run('DPO', 'fp').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptCheckpointError);
    expect((err as Error).message).toContain(`the checkpoint ${file} cannot be read (`);
    expect((err as Error).message).toMatch(/truncated or corrupt; delete .*run%3ADPO\.ckpt or rerun without --resume$/);

    await cks.saveData('fp', DATA);
    const dataFile = join(dir, 'data.ckpt');
    writeFileSync(dataFile, readFileSync(dataFile).subarray(0, 20));
    await expect(cks.data('fp')).rejects.toThrow(`delete ${dataFile} or rerun without --resume`);
  });
});
