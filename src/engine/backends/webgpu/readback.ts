/**
 * Device-to-host reads through a pool of MAP_READ staging buffers. A read records the copy of the
 * tensor's segments into the backend's pending command batch (so it shares the submission of the
 * program run before it) and resolves after mapAsync: nothing blocks, so a training loop can await
 * a step's metrics while later steps are already queued.
 */

import { unpackF16 } from '../../precision/f16.ts';
import { sizeClass } from './buffer-pool.ts';
import type { CommandBatch } from './command-batch.ts';
import type { GpuTensor } from './tensor.ts';
import { segmentCount, segmentElems } from './tensor.ts';

export class StagingRing {
  private readonly free = new Map<number, GPUBuffer[]>();

  constructor(
    private readonly device: GPUDevice,
    private readonly commands: CommandBatch,
  ) {}

  /**
   * Records the copy now (call it in program order); the promise resolves with the data once the
   * batch is submitted and the staging buffer is mapped.
   */
  async read(t: GpuTensor, count: number): Promise<Float32Array | Int32Array> {
    // f16 tensors (allocHalf) move in whole 4-byte words: an odd count reads one padding half.
    const wordBytes = (elems: number) => Math.ceil((elems * t.elementBytes) / 4) * 4;
    const bytes = wordBytes(count);
    const staging = this.acquire(bytes);
    const encoder = this.commands.encoder();
    const segmentBytes = t.layout.elems * t.elementBytes;
    for (let k = 0; k < segmentCount(count, t.layout); k++) {
      const n = segmentElems(count, k, t.layout);
      encoder.copyBufferToBuffer(t.segments[k], 0, staging, k * segmentBytes, wordBytes(n));
    }
    const submitted = this.commands.submitted();
    try {
      await submitted;
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      const copy = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
      this.release(staging);
      if (t.half) return unpackF16(new Uint16Array(copy, 0, count));
      return t.dtype === 'i32' ? new Int32Array(copy) : new Float32Array(copy);
    } catch (e) {
      staging.destroy();
      throw e;
    }
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }

  private acquire(bytes: number): GPUBuffer {
    const size = sizeClass(Math.max(bytes, 4));
    return (
      this.free.get(size)?.pop() ??
      this.device.createBuffer({ label: 'staging', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })
    );
  }

  private release(b: GPUBuffer): void {
    const list = this.free.get(b.size) ?? [];
    list.push(b);
    this.free.set(b.size, list);
  }
}
