/**
 * Device tensors. A tensor is stored as one or more GPU buffers ("segments") of a fixed
 * power-of-two size, so a tensor bigger than the device's storage-binding limit (GPT-2's tied
 * 50257x768 embedding is 154 MB, over the default 128 MiB) can still be bound: a kernel binds
 * every segment and its generated accessor picks the segment from the high bits of the index.
 */
import type { DeviceTensor } from '../../backend.ts';
import type { DType } from '../../ops.ts';

export const BYTES_PER_ELEMENT = 4;
/** Bytes per element of a tensor stored as f16 (allocHalf; precision 'f16-weights'). */
export const HALF_BYTES_PER_ELEMENT = 2;

/** How tensors are cut into segments: every segment but the last holds exactly `elems` elements. */
export interface SegmentLayout {
  /** log2(elems): accessors split an element index into (index >> shift, index & (elems - 1)). */
  readonly shift: number;
  readonly elems: number;
  readonly bytes: number;
}

/** The largest power-of-two segment (at least 256 bytes) that fits in `maxBytes`. */
export function segmentLayout(maxBytes: number): SegmentLayout {
  if (!(maxBytes >= 256)) throw new RangeError(`segment size must be at least 256 bytes, got ${maxBytes}`);
  const shift = Math.floor(Math.log2(maxBytes / BYTES_PER_ELEMENT));
  const elems = 2 ** shift;
  return { shift, elems, bytes: elems * BYTES_PER_ELEMENT };
}

/** Number of segments needed to hold `count` elements (at least one). */
export function segmentCount(count: number, layout: SegmentLayout): number {
  return Math.max(1, Math.ceil(count / layout.elems));
}

/** Elements stored in segment `k` of a tensor of `count` elements. */
export function segmentElems(count: number, k: number, layout: SegmentLayout): number {
  return Math.max(0, Math.min(layout.elems, count - k * layout.elems));
}

export class GpuTensor implements DeviceTensor {
  freed = false;
  constructor(
    readonly numel: number,
    readonly dtype: DType,
    readonly segments: readonly GPUBuffer[],
    readonly layout: SegmentLayout,
    /** Stored as f16: same element indexing and segments, half the bytes (kernels widen to f32). */
    readonly half = false,
  ) {}

  /** Bytes one element takes in the buffers. */
  get elementBytes(): number {
    return this.half ? HALF_BYTES_PER_ELEMENT : BYTES_PER_ELEMENT;
  }

  /** The segments a view of `count` elements (starting at element 0) touches. */
  segmentsFor(count: number): readonly GPUBuffer[] {
    return this.segments.slice(0, segmentCount(count, this.layout));
  }
}

export function asGpuTensor(t: DeviceTensor, where: string): GpuTensor {
  if (!(t instanceof GpuTensor)) {
    throw new TypeError(`${where}: expected a tensor allocated by the WebGPU backend, got ${t?.constructor?.name}`);
  }
  if (t.freed) throw new Error(`${where}: tensor (${t.numel} ${t.dtype}) was already freed`);
  return t;
}
