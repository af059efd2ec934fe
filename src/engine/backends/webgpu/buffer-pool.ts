/**
 * Pooled storage buffers. Freed buffers are kept by size class and handed out again, so a
 * training loop that allocates the same shapes every step does not churn device memory. Sizes
 * round up to the next 2^k or 1.5 * 2^k (at most 33% slack).
 */

/** Storage buffers that can also be copied from (reads) and to (writes, clears). A function: the
 * GPUBufferUsage global only exists once WebGPU is set up (in Node, after getNodeGPU()). */
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export interface MemoryStats {
  /** Bytes of buffers handed out and not yet released. */
  liveBytes: number;
  peakLiveBytes: number;
  /** Bytes of all buffers this pool created and has not destroyed (live + pooled). */
  heldBytes: number;
  peakHeldBytes: number;
}

export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 256) * 256);
  const p = 2 ** Math.ceil(Math.log2(b));
  return (p / 4) * 3 >= b ? (p / 4) * 3 : p;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  readonly stats: MemoryStats = { liveBytes: 0, peakLiveBytes: 0, heldBytes: 0, peakHeldBytes: 0 };

  constructor(private readonly device: GPUDevice) {}

  /** A buffer of at least `bytes`; `reused` buffers hold stale data and must be cleared by the caller. */
  acquire(bytes: number): { buffer: GPUBuffer; reused: boolean } {
    const size = sizeClass(bytes);
    const pooled = this.free.get(size)?.pop();
    let buffer = pooled;
    if (!buffer) {
      buffer = this.device.createBuffer({ size, usage: storageUsage() });
      this.stats.heldBytes += size;
      this.stats.peakHeldBytes = Math.max(this.stats.peakHeldBytes, this.stats.heldBytes);
    }
    this.stats.liveBytes += size;
    this.stats.peakLiveBytes = Math.max(this.stats.peakLiveBytes, this.stats.liveBytes);
    return { buffer, reused: pooled !== undefined };
  }

  release(buffer: GPUBuffer): void {
    this.stats.liveBytes -= buffer.size;
    const list = this.free.get(buffer.size) ?? [];
    list.push(buffer);
    this.free.set(buffer.size, list);
  }

  /** Destroys pooled (unused) buffers, returning their memory to the device. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.stats.heldBytes -= b.size;
        b.destroy();
      }
    }
    this.free.clear();
  }
}
