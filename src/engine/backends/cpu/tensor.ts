/** CPU device tensors: plain typed arrays. Kernels work on views (a shape over a tensor's prefix). */
import type { DeviceTensor } from '../../backend.ts';
import type { DType, Shape } from '../../ops.ts';

export type HostArray = Float32Array | Int32Array;

export class CpuTensor implements DeviceTensor {
  readonly data: HostArray;
  constructor(
    readonly numel: number,
    readonly dtype: DType,
  ) {
    this.data = dtype === 'f32' ? new Float32Array(numel) : new Int32Array(numel);
  }
}

/** What a kernel sees: the tensor's typed array and the logical shape of this use of it. */
export interface ArrayView<T extends HostArray = HostArray> {
  readonly data: T;
  readonly shape: Shape;
}

export type F32View = ArrayView<Float32Array>;
export type I32View = ArrayView<Int32Array>;
