/** Shared by the parity tests: the PyTorch fixtures of scripts/make-fixtures.py and small helpers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import type { Graph, Node } from '../../src/engine/graph.ts';
import { type Feeds, feedsFor, type HostBatch } from '../../src/engine/logprobs.ts';
import type { ObjectiveName } from '../../src/engine/objectives/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { readSafetensors } from '../../src/engine/safetensors.ts';

export const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'parity');

export interface ModelFixture {
  dir: string;
  logps: Record<'joint' | 'conditional', { sum: number[]; mean: number[] }>;
  losses: Record<ObjectiveName, { loss: number; metrics: Record<string, number> }>;
  grads: Partial<Record<ObjectiveName, string>>;
  lora?: {
    dir: string;
    logps: Record<'joint' | 'conditional', { sum: number[]; mean: number[] }>;
    loss: number;
    grads: { dpo: string };
  };
}

export interface ParityFixture {
  batch: { ids: number[][]; keyMask: number[][]; maskJoint: number[][]; maskConditional: number[][]; pairs: number };
  ref: Record<'joint' | 'conditional', { sum: number[]; mean: number[] }>;
  objectives: Record<ObjectiveName, { mode: 'joint' | 'conditional'; params: Record<string, number> }>;
  models: Record<'gpt2' | 'llama' | 'qwen2', ModelFixture>;
}

export const fixture: ParityFixture = JSON.parse(readFileSync(join(FIXTURE_DIR, 'parity.json'), 'utf8'));

/** The fixture batch with the label mask of `mode`. */
export function fixtureBatch(mode: 'joint' | 'conditional'): HostBatch {
  const b = fixture.batch;
  const B = b.ids.length;
  const T = b.ids[0].length;
  const mask = mode === 'joint' ? b.maskJoint : b.maskConditional;
  return {
    ids: Int32Array.from(b.ids.flat()),
    mask: Float32Array.from(mask.flat()),
    lengths: b.keyMask.map((row) => row.reduce((s, v) => s + v, 0)),
    B,
    T,
  };
}

export function fixtureGrads(path: string): Map<string, Float32Array> {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(FIXTURE_DIR, path))), path);
  return new Map([...tensors].map(([k, t]) => [k, t.data]));
}

/** max_i |a_i - b_i| / max(max_i |b_i|, floor): error relative to the reference's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths ${a.length} vs ${b.length}`);
  let num = 0;
  let den = floor;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Compiles `outputs` of g on a fresh CPU backend with params from `weights`, runs once. */
export async function runGraph(
  g: Graph,
  outputs: readonly Node[],
  weights: ReadonlyMap<string, Float32Array>,
  feeds: Feeds,
): Promise<Float32Array[]> {
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => {
    const w = weights.get(n);
    if (!w) throw new Error(`runGraph: no weights for param "${n}"`);
    return w;
  });
  return compileForward(g, outputs, backend, store).run(feedsFor(g, feeds));
}
