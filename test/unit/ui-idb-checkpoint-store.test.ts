/**
 * The worker's checkpoint store where IndexedDB is missing (Node has none, as some private modes
 * have none): it must keep the run working in memory and say so once. The IndexedDB path itself is
 * exercised in a real browser by test/browser/lab-resume.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  Checkpoints,
  checkpointNamespace,
  decodeCheckpoint,
  encodeCheckpoint,
  type TrainCheckpoint,
} from '../../src/lab/checkpoint.ts';
import { specFingerprint } from '../../src/lab/plan.ts';
import { DEFAULT_SPEC, type ExperimentSpec } from '../../src/lab/spec.ts';
import { IdbCheckpointStore } from '../../workers/idb-checkpoint-store.ts';

function checkpoint(fingerprint: string, step: number, backend = 'webgpu'): TrainCheckpoint {
  return {
    fingerprint,
    backend,
    run: 'DPO',
    step,
    cursor: { epoch: 0, offset: 4 * step },
    done: false,
    params: new Map([['lora_A', new Float32Array([1, -2, 3.5])]]),
    m: new Map([['lora_A', new Float32Array([0.1, 0.2, 0.3])]]),
    v: new Map([['lora_A', new Float32Array([0.01, 0.02, 0.03])]]),
    metrics: [],
  };
}

describe('IdbCheckpointStore without IndexedDB', () => {
  it('falls back to memory, warns once, and still saves, loads, lists and clears', async () => {
    expect(globalThis.indexedDB).toBeUndefined();
    const warnings: string[] = [];
    const store = new IdbCheckpointStore('ns', (m) => warnings.push(m));
    expect(store.inMemory).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/IndexedDB is not available.*kept in memory.*cannot be resumed after a reload/);

    const bytes = encodeCheckpoint(checkpoint('h', 5));
    // A view into a larger buffer: only its own bytes must be kept.
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes, 4);
    await store.save('run:DPO', padded.subarray(4, 4 + bytes.length));
    await store.save('data', new TextEncoder().encode('{"x":1}'));
    expect(await store.keys()).toEqual(['data', 'run:DPO']);
    const back = await store.load('run:DPO');
    expect(back).toEqual(bytes);
    expect(decodeCheckpoint(back as Uint8Array).step).toBe(5);
    expect(await store.load('run:JPO')).toBeNull();

    await store.clear();
    expect(await store.keys()).toEqual([]);
    expect(await store.load('run:DPO')).toBeNull();
    expect(warnings).toHaveLength(1);
  });

  it('lets a CPU continuation adopt the GPU checkpoints after a device loss, and only then', async () => {
    const store = new IdbCheckpointStore('ns', () => {});
    await store.save('run:DPO', encodeCheckpoint(checkpoint('run-fp', 10, 'webgpu')));
    const warnings: string[] = [];
    const plainCpu = new Checkpoints(store, { backend: 'cpu', warn: (m) => warnings.push(m) });
    expect(await plainCpu.run('DPO', 'run-fp')).toBeNull();
    expect(warnings).toEqual(['DPO: ignoring a checkpoint made on webgpu (this run is on cpu)']);
    const adopting = new Checkpoints(store, { backend: 'cpu', adoptFrom: ['webgpu'] });
    const ck = await adopting.run('DPO', 'run-fp');
    expect(ck?.step).toBe(10);
    expect([...(ck?.params.get('lora_A') ?? [])]).toEqual([1, -2, 3.5]);
    expect(await adopting.runProgress('DPO')).toEqual({ step: 10, done: false });
  });
});

describe('checkpointNamespace', () => {
  it('is the one spec fingerprint (lab): the same for a renamed spec, different for another experiment', () => {
    const spec = structuredClone(DEFAULT_SPEC) as ExperimentSpec;
    const renamed = { ...spec, name: 'another name' };
    const other = { ...spec, seed: spec.seed + 1 };
    expect(checkpointNamespace(spec)).toBe(specFingerprint(spec));
    expect(checkpointNamespace(renamed)).toBe(checkpointNamespace(spec));
    expect(checkpointNamespace(other)).not.toBe(checkpointNamespace(spec));
  });
});
