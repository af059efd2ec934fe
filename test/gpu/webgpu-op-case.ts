/**
 * One op launch built from host data, run on the CPU backend (the reference) and on the WebGPU
 * backend, and compared. No Node APIs: the browser-worker kernel test bundles this too.
 */
import type { Backend, DeviceTensor, Launch, TensorView } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { type DType, numel, type OpAttrs, type OpKind, type Shape } from '../../src/engine/ops.ts';
import { Rng } from '../../src/engine/random.ts';

export interface HostTensor {
  readonly shape: Shape;
  readonly data: Float32Array | Int32Array;
}

export const f32 = (shape: Shape, data: Float32Array): HostTensor => ({ shape, data });
export const i32 = (shape: Shape, values: readonly number[]): HostTensor => ({ shape, data: Int32Array.from(values) });

export function randn(rng: Rng, shape: Shape, std = 1): HostTensor {
  return { shape, data: rng.normals(numel(shape), std) };
}

export function uniform(rng: Rng, shape: Shape, lo: number, hi: number): HostTensor {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rng.next();
  return { shape, data };
}

/**
 * An in-place adamw launch on random param, grad and moments of `shape`, with these hyper values and
 * squared grad norm; the moments are read back too.
 */
export function adamwCase(rng: Rng, shape: Shape, hyper: readonly number[], gradNormSq: number): OpCase<'adamw'> {
  return {
    op: 'adamw',
    attrs: {},
    inputs: [
      randn(rng, shape),
      randn(rng, shape),
      randn(rng, shape, 0.1),
      uniform(rng, shape, 0, 0.01),
      f32([8], Float32Array.from(hyper)),
      f32([1], Float32Array.of(gradNormSq)),
    ],
    out: shape,
    inPlace: 0,
    readInputs: [2, 3],
  };
}

export interface OpCase<K extends OpKind = OpKind> {
  readonly op: K;
  readonly attrs: OpAttrs[K];
  readonly inputs: readonly HostTensor[];
  readonly out: Shape;
  readonly outDtype?: DType;
  /** Write the output into input `inPlace` (aliasing) instead of a fresh tensor. */
  readonly inPlace?: number;
  /** Inputs to read back after the run as well (adamw's m and v). */
  readonly readInputs?: readonly number[];
  /** Allocate the output this many elements larger than needed (views over bigger tensors). */
  readonly outSlack?: number;
  /** Fill the output with this value before the run (kernels must overwrite every element). */
  readonly outFill?: number;
}

const dtypeOf = (t: HostTensor): DType => (t.data instanceof Int32Array ? 'i32' : 'f32');

export function upload(be: Backend, t: HostTensor, slack = 0): TensorView {
  const tensor = be.alloc(numel(t.shape) + slack, dtypeOf(t));
  be.write(tensor, t.data);
  return { tensor, shape: t.shape, dtype: dtypeOf(t) };
}

/** Runs one op case on a backend; returns [output, ...readInputs]. */
export async function runCase(be: Backend, c: OpCase): Promise<(Float32Array | Int32Array)[]> {
  const inputs = c.inputs.map((t, i) => upload(be, t, i === 0 ? 3 : 0));
  const outDtype = c.outDtype ?? 'f32';
  const outTensor: DeviceTensor =
    c.inPlace !== undefined ? inputs[c.inPlace].tensor : be.alloc(numel(c.out) + (c.outSlack ?? 0), outDtype);
  if (c.outFill !== undefined && c.inPlace === undefined) {
    const n = numel(c.out) + (c.outSlack ?? 0);
    be.write(outTensor, outDtype === 'i32' ? new Int32Array(n).fill(c.outFill) : new Float32Array(n).fill(c.outFill));
  }
  const launch: Launch = {
    op: c.op,
    attrs: c.attrs,
    inputs,
    output: { tensor: outTensor, shape: c.out, dtype: outDtype },
  };
  const program = be.compile([launch]);
  program.run();
  const results = [await be.read(outTensor, numel(c.out))];
  for (const i of c.readInputs ?? []) results.push(await be.read(inputs[i].tensor, numel(c.inputs[i].shape)));
  return results;
}

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export const TIGHT: Tolerance = { rtol: 1e-5, atol: 1e-6 };
export const LOOSE: Tolerance = { rtol: 1e-4, atol: 1e-5 };

/** Throws on the first element outside |got - want| <= atol + rtol * |want| (NaN never passes). */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, label: string): void {
  if (got.length !== want.length) throw new Error(`${label}: length ${got.length}, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol.atol + tol.rtol * Math.abs(want[i])) && !(got[i] === want[i])) {
      throw new Error(`${label}: element ${i} = ${got[i]}, want ${want[i]} (|err| ${err.toExponential(2)})`);
    }
  }
}

const cpu = new CpuBackend();

/** Runs the case on the CPU reference and on `gpu`, and compares every result. */
export async function checkAgainstCpu(
  gpu: WebGPUBackend,
  c: OpCase,
  tol: Tolerance = LOOSE,
  label: string = c.op,
): Promise<void> {
  const want = await runCase(cpu, c);
  const got = await runCase(gpu, c);
  for (let i = 0; i < want.length; i++) {
    expectClose(got[i], want[i], tol, i === 0 ? label : `${label} (input ${c.readInputs?.[i - 1]})`);
  }
}

export { numel, Rng };
