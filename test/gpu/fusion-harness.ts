/**
 * Fusion tests' harness: a hand-written launch list over named tensors (so a test controls
 * aliasing and buffer reuse exactly as the planner would produce them) runs on the CPU backend
 * (the reference), on WebGPU without fusion and on WebGPU with fusion; every tensor is read back
 * afterwards, so a fused kernel that drops a store still observable, or runs a launch too early,
 * shows up as a mismatch.
 */
import { expect } from 'vitest';
import type { Backend, DeviceTensor, Launch, TensorView } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { type DType, numel, type OpAttrs, type OpKind, type Shape } from '../../src/engine/ops.ts';
import { Rng } from '../../src/engine/random.ts';

export interface TensorDecl {
  readonly shape: Shape;
  readonly dtype?: DType;
  /** Initial values (default: seeded normals; i32 tensors default to zeros). */
  readonly data?: Float32Array | Int32Array;
  /** Normals' standard deviation (default 1). */
  readonly std?: number;
}

/** A view of a named tensor: its own shape, or another with the same or fewer elements. */
export type ViewRef = string | { readonly name: string; readonly shape: Shape };

export interface LaunchDecl<K extends OpKind = OpKind> {
  readonly op: K;
  readonly attrs?: OpAttrs[K];
  readonly inputs: readonly ViewRef[];
  readonly output: ViewRef;
}

export const L = <K extends OpKind>(
  op: K,
  inputs: readonly ViewRef[],
  output: ViewRef,
  attrs?: OpAttrs[K],
): LaunchDecl<K> => ({ op, inputs, output, attrs });

export interface ListResult {
  readonly values: Map<string, Float32Array | Int32Array>;
  readonly dispatches: number;
  readonly fusedLaunches: number;
}

export async function runList(
  backend: Backend,
  tensors: Readonly<Record<string, TensorDecl>>,
  launches: readonly LaunchDecl[],
  seed = 1,
): Promise<ListResult> {
  const rng = new Rng(seed);
  const dev = new Map<string, DeviceTensor>();
  for (const [name, d] of Object.entries(tensors)) {
    const dtype = d.dtype ?? 'f32';
    const t = backend.alloc(numel(d.shape), dtype);
    const data = d.data ?? (dtype === 'i32' ? new Int32Array(numel(d.shape)) : rng.normals(numel(d.shape), d.std ?? 1));
    backend.write(t, data);
    dev.set(name, t);
  }
  const view = (r: ViewRef): TensorView => {
    const name = typeof r === 'string' ? r : r.name;
    const decl = tensors[name];
    if (!decl) throw new Error(`fusion harness: no tensor "${name}"`);
    return {
      tensor: dev.get(name) as DeviceTensor,
      shape: typeof r === 'string' ? decl.shape : r.shape,
      dtype: decl.dtype ?? 'f32',
    };
  };
  const list: Launch[] = launches.map((l) => ({
    op: l.op,
    attrs: (l.attrs ?? {}) as OpAttrs[OpKind],
    inputs: l.inputs.map(view),
    output: view(l.output),
  }));
  const program = backend.compile(list);
  program.run();
  const values = new Map<string, Float32Array | Int32Array>();
  for (const [name, t] of dev) values.set(name, await backend.read(t));
  const stats = program.stats as { dispatches: number; fusedLaunches?: number };
  program.dispose();
  for (const t of dev.values()) backend.free(t);
  return { values, dispatches: stats.dispatches, fusedLaunches: stats.fusedLaunches ?? 0 };
}

/** Runs the list on the CPU, on `plain` (fusion off) and `fused`; checks every tensor against the CPU. */
export async function checkFusion(
  plain: WebGPUBackend,
  fused: WebGPUBackend,
  tensors: Readonly<Record<string, TensorDecl>>,
  launches: readonly LaunchDecl[],
  tol = { abs: 1e-5, rel: 1e-4 },
): Promise<{ plain: ListResult; fused: ListResult }> {
  const want = await runList(new CpuBackend(), tensors, launches);
  const a = await runList(plain, tensors, launches);
  const b = await runList(fused, tensors, launches);
  for (const [label, got] of [
    ['unfused', a],
    ['fused', b],
  ] as const) {
    for (const [name, ref] of want.values) {
      const g = got.values.get(name) as Float32Array;
      let worst = 0;
      let at = -1;
      for (let i = 0; i < ref.length; i++) {
        const err = Math.abs(g[i] - ref[i]) - tol.rel * Math.abs(ref[i]);
        if (!(err <= worst)) {
          worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
          at = i;
        }
      }
      expect(worst, `${label} tensor "${name}" [${at}]: got ${g[at]}, CPU ${ref[at]}`).toBeLessThanOrEqual(tol.abs);
    }
  }
  return { plain: a, fused: b };
}
