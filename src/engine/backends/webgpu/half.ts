/**
 * Uploads into f16 tensors (WebGPUBackend.allocHalf): host f32 values rounded to f16 bit patterns
 * (round to nearest, ties to even: precision/f16.ts) and cut at segment boundaries. writeBuffer moves
 * whole 4-byte words, so a write starts at an even element and an odd-length write is padded with
 * one zero half, which only the tensor's own last element may be followed by.
 */
import { packF16 } from '../../precision/f16.ts';
import type { GpuTensor } from './tensor.ts';

export interface HalfUpload {
  readonly buffer: GPUBuffer;
  readonly byteOffset: number;
  readonly words: Uint16Array<ArrayBuffer>;
}

/** The writeBuffer calls that put `data` (f32 values) at element `offset` of the f16 tensor `t`. */
export function packHalfForUpload(t: GpuTensor, data: Float32Array, offset: number): HalfUpload[] {
  const end = offset + data.length;
  if (offset % 2 !== 0 || (data.length % 2 !== 0 && end !== t.numel)) {
    throw new RangeError(
      `write: an f16 tensor takes writes of whole pairs of elements (offset ${offset}, ${data.length} elements, tensor of ${t.numel})`,
    );
  }
  const bits = packF16(data);
  const padded = new Uint16Array(bits.length + (bits.length % 2));
  padded.set(bits);
  const out: HalfUpload[] = [];
  const elems = t.layout.elems;
  let done = 0;
  while (done < data.length) {
    const at = offset + done;
    const k = Math.floor(at / elems);
    const inSeg = at - k * elems;
    const n = Math.min(data.length - done, elems - inSeg);
    const words = n + (n % 2);
    out.push({ buffer: t.segments[k], byteOffset: inSeg * 2, words: padded.subarray(done, done + words) });
    done += n;
  }
  return out;
}
