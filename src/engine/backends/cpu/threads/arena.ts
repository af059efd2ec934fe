/**
 * Blocks of the thread pool's shared WebAssembly memory: where a threaded CpuBackend keeps its
 * tensors, so the helper threads read and write them in place (no copies in and out per kernel),
 * and where the gemm keeps its scratch. First fit over a free list sorted by offset, neighbours
 * coalesced on free; the memory grows (never shrinks) up to its declared maximum, and an
 * allocation that does not fit returns null (the caller then uses a private typed array).
 */

const PAGE = 65536;
/** Shared memory must declare its maximum up front; the largest first, smaller where refused. */
const MAX_PAGES = [65536, 16384, 4096];
/** Blocks start on 64-byte boundaries: whole cache lines, aligned for SIMD loads. */
const ALIGN = 64;

interface Span {
  off: number;
  bytes: number;
}

export class SharedArena {
  /** Free spans inside the memory's current length, sorted by offset, never adjacent. */
  private readonly free: Span[] = [];
  /** Bytes of each live block, by offset. */
  private readonly live = new Map<number, number>();
  /** End of the highest block handed out so far (the memory above it is free too). */
  private top = ALIGN;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly maxBytes: number,
  ) {}

  /** Bytes in live blocks (for tests and the memory report). */
  get liveBytes(): number {
    let n = 0;
    for (const b of this.live.values()) n += b;
    return n;
  }

  /** The byte offset of a new block of at least `bytes` (zero-filled), or null when it cannot fit. */
  alloc(bytes: number): number | null {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const span = this.free[i];
      if (span.bytes < size) continue;
      const off = span.off;
      if (span.bytes === size) this.free.splice(i, 1);
      else {
        span.off += size;
        span.bytes -= size;
      }
      this.live.set(off, size);
      new Uint8Array(this.memory.buffer, off, size).fill(0);
      return off;
    }
    const off = this.top;
    if (off + size > this.maxBytes) return null;
    const have = this.memory.buffer.byteLength;
    if (off + size > have) this.memory.grow(Math.ceil((off + size - have) / PAGE));
    this.top = off + size;
    this.live.set(off, size);
    new Uint8Array(this.memory.buffer, off, size).fill(0);
    return off;
  }

  /** Returns the block at `off` (from alloc) to the free list. */
  release(off: number): void {
    const size = this.live.get(off);
    if (size === undefined) throw new Error(`SharedArena.release: no live block at byte ${off}`);
    this.live.delete(off);
    if (off + size === this.top) {
      // The highest block: lower the top, and swallow a free span that now ends there.
      this.top = off;
      const last = this.free[this.free.length - 1];
      if (last && last.off + last.bytes === this.top) {
        this.free.pop();
        this.top = last.off;
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i].off < off) i++;
    const prev = this.free[i - 1];
    const next = this.free[i];
    if (prev && prev.off + prev.bytes === off) {
      prev.bytes += size;
      if (next && prev.off + prev.bytes === next.off) {
        prev.bytes += next.bytes;
        this.free.splice(i, 1);
      }
    } else if (next && off + size === next.off) {
      next.off = off;
      next.bytes += size;
    } else {
      this.free.splice(i, 0, { off, bytes: size });
    }
  }
}

/** A shared WebAssembly memory of one page that may grow to the largest maximum this runtime grants. */
export function sharedMemory(): { memory: WebAssembly.Memory; maximum: number } {
  let last: unknown;
  for (const maximum of MAX_PAGES) {
    try {
      return { memory: new WebAssembly.Memory({ initial: 1, maximum, shared: true }), maximum };
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`CPU thread pool: cannot reserve a shared WebAssembly memory: ${String(last)}`);
}
