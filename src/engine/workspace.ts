/**
 * Intermediate tensors shared by compiled sessions that never run at the same time (the forward
 * and train steps of every bucket): the largest slot of each plan uses the workspace's largest
 * tensor, the second largest the second, and so on, so the memory is about that of the biggest
 * bucket rather than the sum. When a plan needs a bigger tensor than exists, the workspace swaps
 * it for a bigger one and bumps `generation`; sessions recompile before their next run.
 *
 * Sharing is safe because each session writes its feeds, runs and enqueues its reads without
 * yielding, so the next session's program is queued after those reads (backends must enqueue a
 * read's copy when `read` is called).
 */
import type { Backend, DeviceTensor } from './backend.ts';
import { elementBytes } from './memory-accounting.ts';
import type { DType } from './ops.ts';
import { type Slot, sizeRanks } from './plan.ts';

export class Workspace {
  private readonly tensors = new Map<DType, { numel: number; tensor: DeviceTensor }[]>();
  /** Bumped whenever a tensor is replaced; programs compiled before must be recompiled. */
  generation = 0;

  constructor(readonly backend: Backend) {}

  /** A tensor for each slot (growing the workspace as needed). */
  tensorsFor(slots: readonly Slot[]): DeviceTensor[] {
    const ranks = sizeRanks(slots);
    return slots.map((s, i) => {
      const list = this.tensors.get(s.dtype) ?? [];
      this.tensors.set(s.dtype, list);
      let e = list[ranks[i]];
      if (!e) {
        e = { numel: s.numel, tensor: this.backend.alloc(s.numel, s.dtype) };
        list[ranks[i]] = e;
      } else if (e.numel < s.numel) {
        this.backend.free(e.tensor);
        e.numel = s.numel;
        e.tensor = this.backend.alloc(s.numel, s.dtype);
        this.generation++;
      }
      return e.tensor;
    });
  }

  bytes(): number {
    return elementBytes([...this.tensors.values()].flat());
  }

  tensorCount(): number {
    let n = 0;
    for (const list of this.tensors.values()) n += list.length;
    return n;
  }

  dispose(): void {
    for (const list of this.tensors.values()) for (const e of list) this.backend.free(e.tensor);
    this.tensors.clear();
    this.generation++;
  }
}
