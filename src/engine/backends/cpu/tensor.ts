/** CPU device tensors: plain typed arrays. Kernels work on views (a shape over a tensor's prefix). */
import type { DeviceTensor } from '../../backend.ts';
import type { DType, Shape } from '../../ops.ts';

export type HostArray = Float32Array | Int32Array;

/**
 * Where a tensor of a threaded backend lives: in its thread pool's shared memory (`pool`, the
 * pool object itself), at element offset `off`; helper threads compute on it in place.
 */
export interface SharedPlace {
  readonly pool: object;
  readonly off: number;
}

export class CpuTensor implements DeviceTensor {
  readonly data: HostArray;
  /** Set when the data lives in a thread pool's shared memory (until freed). */
  shared: SharedPlace | undefined;
  constructor(
    readonly numel: number,
    readonly dtype: DType,
    placed?: { data: HostArray; shared: SharedPlace },
  ) {
    this.data = placed?.data ?? (dtype === 'f32' ? new Float32Array(numel) : new Int32Array(numel));
    this.shared = placed?.shared;
  }
}

/** What a kernel sees: the tensor's typed array and the logical shape of this use of it. */
export interface ArrayView<T extends HostArray = HostArray> {
  readonly data: T;
  readonly shape: Shape;
  /** The tensor's place in a thread pool's shared memory, if it has one. */
  readonly shared?: SharedPlace;
}

export type F32View = ArrayView<Float32Array>;
export type I32View = ArrayView<Int32Array>;
