/**
 * The parameter store: every named weight of a model as one device tensor on one backend, shared
 * by all graphs compiled for that model (one per batch-size x length bucket). Weights are loaded
 * from and read back to host Float32Arrays here, and nowhere else.
 */
import type { Backend, DeviceTensor } from './backend.ts';
import type { Graph } from './graph.ts';
import { paramBytes } from './memory-accounting.ts';
import { fmtShape, numel, type Shape, shapeEq } from './ops.ts';
import { checkF16Range, roundArrayToF16 } from './precision/f16.ts';
import { type ParamStorage, type Precision, paramStorage } from './precision/index.ts';

export interface ParamEntry {
  readonly name: string;
  readonly shape: Shape;
  readonly tensor: DeviceTensor;
  /** Default for TrainState when no explicit trainable list is given. */
  trainable: boolean;
  /** f32, or (frozen params under 'f16-weights') f16 on the device or f16 values held as f32. */
  readonly storage: ParamStorage;
}

export interface ParamStoreOptions {
  /** 'f16-weights': params added as frozen (trainable false) are rounded to f16 (precision/index.ts). */
  precision?: Precision;
}

export class ParamStore {
  private readonly entries_ = new Map<string, ParamEntry>();
  readonly precision: Precision;

  constructor(
    readonly backend: Backend,
    options: ParamStoreOptions = {},
  ) {
    this.precision = options.precision ?? 'f32';
  }

  /** Allocates a param (zeros unless `data` is given). */
  add(name: string, shape: Shape, data?: Float32Array, trainable = true): ParamEntry {
    if (this.entries_.has(name))
      throw new Error(`ParamStore.add: "${name}" already exists; use set() to overwrite its values`);
    if (shape.some((d) => !Number.isInteger(d) || d <= 0))
      throw new Error(`ParamStore.add: "${name}" has a bad shape ${fmtShape(shape)}`);
    const storage = paramStorage(this.precision, trainable, this.backend);
    const n = numel(shape);
    const tensor =
      storage === 'f16' && this.backend.allocHalf ? this.backend.allocHalf(n) : this.backend.alloc(n, 'f32');
    const entry: ParamEntry = { name, shape: [...shape], tensor, trainable, storage };
    this.entries_.set(name, entry);
    try {
      if (data) this.set(name, data);
    } catch (e) {
      // Refused values (e.g. beyond f16's range) leave no half-made param behind.
      this.entries_.delete(name);
      this.backend.free(tensor);
      throw e;
    }
    return entry;
  }

  /** Adds every param of `graph` not in the store yet, with values from `init` (zeros if omitted). */
  addFromGraph(graph: Graph, init?: (name: string, shape: Shape) => Float32Array): void {
    for (const p of graph.params()) {
      const existing = this.entries_.get(p.attrs.name);
      if (existing) this.checkShape(existing, p.shape);
      else this.add(p.attrs.name, p.shape, init?.(p.attrs.name, p.shape), p.attrs.trainable);
    }
  }

  has(name: string): boolean {
    return this.entries_.has(name);
  }

  get(name: string): ParamEntry {
    const e = this.entries_.get(name);
    if (!e) {
      const known = [...this.entries_.keys()];
      const list = known.length > 8 ? `${known.slice(0, 8).join(', ')}, ...` : known.join(', ');
      throw new Error(
        `ParamStore: no param "${name}" (have ${known.length}: ${list}); add it with params.add(name, shape, data)`,
      );
    }
    return e;
  }

  /** The tensor of `name`, checked against the shape a graph expects. */
  tensorFor(name: string, shape: Shape): DeviceTensor {
    const e = this.get(name);
    this.checkShape(e, shape);
    return e.tensor;
  }

  set(name: string, data: Float32Array): void {
    const e = this.get(name);
    const n = numel(e.shape);
    if (!(data instanceof Float32Array) || data.length !== n) {
      throw new Error(
        `ParamStore.set: "${name}" ${fmtShape(e.shape)} needs a Float32Array of ${n}, got ${data?.constructor?.name} of ${data?.length}`,
      );
    }
    if (e.storage === 'f32') {
      this.backend.write(e.tensor, data);
      return;
    }
    checkF16Range(name, data);
    // An f16 tensor rounds on upload; the emulation rounds here and keeps f32.
    this.backend.write(e.tensor, e.storage === 'f16' ? data : roundArrayToF16(data));
  }

  async read(name: string): Promise<Float32Array> {
    const e = this.get(name);
    return (await this.backend.read(e.tensor, numel(e.shape))) as Float32Array;
  }

  async readAll(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const name of this.entries_.keys()) out.set(name, await this.read(name));
    return out;
  }

  names(): string[] {
    return [...this.entries_.keys()];
  }

  entries(): ParamEntry[] {
    return [...this.entries_.values()];
  }

  bytes(): number {
    const all = [...this.entries_.values()];
    return paramBytes(
      all.map((e) => e.shape),
      all.filter((e) => e.storage === 'f16').map((e) => e.shape),
    );
  }

  dispose(): void {
    for (const e of this.entries_.values()) this.backend.free(e.tensor);
    this.entries_.clear();
  }

  private checkShape(e: ParamEntry, shape: Shape): void {
    if (!shapeEq(e.shape, shape)) {
      throw new Error(
        `ParamStore: param "${e.name}" is ${fmtShape(e.shape)} in the store but ${fmtShape(shape)} in the graph`,
      );
    }
  }
}
