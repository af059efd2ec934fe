/**
 * Training state shared by every compiled train step of one run (one per bucket): a gradient
 * accumulator and AdamW moments per trainable param, the hyper buffer the adamw kernel reads,
 * the grad-norm-squared buffer clipping reads, and the step counters.
 */
import type { Backend, DeviceTensor } from './backend.ts';
import { optimizerBytes, shapeBytes } from './memory-accounting.ts';
import { numel } from './ops.ts';
import { ADAMW_HYPER_LEN } from './optim/adamw.ts';
import type { ParamStore } from './params.ts';

export { OPTIMIZER_SCALAR_BYTES } from './memory-accounting.ts';

export interface ParamOptState {
  readonly grad: DeviceTensor;
  readonly m: DeviceTensor;
  readonly v: DeviceTensor;
}

export class TrainState {
  readonly trainable: readonly string[];
  readonly perParam = new Map<string, ParamOptState>();
  /** f32[8]: rewritten before every update (ops.ts, adamw). */
  readonly hyper: DeviceTensor;
  /** f32[1]: sum of squares of all accumulated grads, written by the update program. */
  readonly gradNormSq: DeviceTensor;
  /** Optimizer updates taken so far (bias corrections use step + 1). */
  step = 0;
  /** Micro-batches accumulated since the last update. */
  microBatches = 0;

  /** `trainable` defaults to the store's params flagged trainable. */
  constructor(
    readonly backend: Backend,
    readonly params: ParamStore,
    trainable?: readonly string[],
  ) {
    this.trainable = trainable
      ? [...trainable]
      : params
          .entries()
          .filter((e) => e.trainable)
          .map((e) => e.name);
    const twice = this.trainable.find((name, i) => this.trainable.indexOf(name) !== i);
    if (twice !== undefined) throw new Error(`TrainState: trainable param "${twice}" is listed twice`);
    for (const name of this.trainable) {
      if (params.get(name).storage !== 'f32') {
        throw new Error(
          `TrainState: "${name}" was added as a frozen weight and rounded to f16 (precision "f16-weights"); add it with trainable true to train it in f32`,
        );
      }
      const n = numel(params.get(name).shape);
      this.perParam.set(name, {
        grad: backend.alloc(n, 'f32'),
        m: backend.alloc(n, 'f32'),
        v: backend.alloc(n, 'f32'),
      });
    }
    this.hyper = backend.alloc(ADAMW_HYPER_LEN, 'f32');
    this.gradNormSq = backend.alloc(1, 'f32');
  }

  get(name: string): ParamOptState {
    const s = this.perParam.get(name);
    if (!s) throw new Error(`TrainState: "${name}" is not trainable here (trainable: ${this.trainable.join(', ')})`);
    return s;
  }

  /** Device bytes of grads + moments (+ the two small buffers). */
  bytes(): number {
    const shapes = this.trainable.map((name) => this.params.get(name).shape);
    return shapeBytes(shapes) + optimizerBytes(shapes);
  }

  /** Forget the moments and counters (a fresh optimizer on the same tensors). */
  reset(): void {
    for (const name of this.trainable) {
      const { m, v } = this.get(name);
      const zeros = new Float32Array(numel(this.params.get(name).shape));
      this.backend.write(m, zeros);
      this.backend.write(v, zeros);
    }
    this.step = 0;
    this.microBatches = 0;
  }

  dispose(): void {
    for (const s of this.perParam.values()) for (const t of [s.grad, s.m, s.v]) this.backend.free(t);
    this.backend.free(this.hyper);
    this.backend.free(this.gradNormSq);
    this.perParam.clear();
  }
}
