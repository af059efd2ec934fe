import { describe, expect, it } from 'vitest';
import {
  decodeCheckpoint,
  decodeJsonCheckpoint,
  encodeCheckpoint,
  encodeJsonCheckpoint,
  MemoryCheckpointStore,
  type TrainCheckpoint,
} from '../../src/lab/checkpoint.ts';
import { checkpointStep, RehomedCheckpoints } from '../../workers/rehomed-checkpoints.ts';

function checkpoint(specHash: string, step: number): TrainCheckpoint {
  return {
    specHash,
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

describe('RehomedCheckpoints (continuing a WebGPU run on the CPU)', () => {
  it('re-stamps training and data checkpoints of the old backend, keeping their contents', async () => {
    const inner = new MemoryCheckpointStore();
    await inner.save('run:DPO', encodeCheckpoint(checkpoint('gpu-hash', 10)));
    await inner.save('data', encodeJsonCheckpoint('gpu-hash', { rows: [1, 2] }));
    await inner.save('run:JPO', encodeCheckpoint(checkpoint('other-spec', 5)));
    const view = new RehomedCheckpoints(inner, 'gpu-hash', 'cpu-hash');

    const ck = decodeCheckpoint((await view.load('run:DPO')) as Uint8Array);
    expect(ck.specHash).toBe('cpu-hash');
    expect(ck.step).toBe(10);
    expect(ck.cursor).toEqual({ epoch: 0, offset: 80 });
    expect([...(ck.v?.get('lora_A') ?? [])]).toEqual([...new Float32Array([0.01, 0.02, 0.03])]);
    expect(decodeJsonCheckpoint((await view.load('data')) as Uint8Array, 'cpu-hash')).toEqual({ rows: [1, 2] });
    // A checkpoint of another spec is passed through untouched (the pipeline then ignores it).
    expect(decodeCheckpoint((await view.load('run:JPO')) as Uint8Array).specHash).toBe('other-spec');
    expect(await view.load('missing')).toBeNull();
    // Saves go to the underlying store as they are.
    await view.save('run:X', encodeCheckpoint(checkpoint('cpu-hash', 3)));
    expect(await checkpointStep(inner, 'run:X')).toBe(3);
    expect(await checkpointStep(inner, 'data')).toBeNull();
  });
});
