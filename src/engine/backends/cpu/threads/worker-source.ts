/**
 * The helper thread's script, as source text: it runs from a string (Node: `eval: true`; browser: a
 * Blob URL), so it needs no bundler support and no file next to the bundle. It instantiates the
 * gemm module on the pool's shared memory, says it is ready, then loops: sleep until its job
 * generation changes, run its share (runGemmShare's or runRangeShare's own source, with every
 * range kernel's), count itself done.
 */
import { awaitCount, JOB, runGemmShare } from './gemm-share.ts';
import { runRangeShare } from './range-share.ts';
import { RANGE_KERNELS } from './ranges/index.ts';
import type { RangeArray } from './ranges/types.ts';

/** What the pool hands each helper at start (workerData in Node, the first message in a browser). */
export interface HelperInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** A range job's float attributes (range-share.ts's RANGE_FLOATS doubles). */
  floats: SharedArrayBuffer;
  /** This helper's slot in the control array. */
  index: number;
}

function helperMain(
  L: typeof JOB,
  init: HelperInit,
  share: typeof runGemmShare,
  rangeShare: typeof runRangeShare,
  kernels: typeof RANGE_KERNELS,
  wait: typeof awaitCount,
  post: (m: string) => void,
): void {
  const ctl = new Int32Array(init.control);
  const ints = new Int32Array(init.control, L.INTS * 4, L.INT_COUNT);
  const floats = new Float64Array(init.floats);
  const instance = new WebAssembly.Instance(init.module, { env: { mem: init.memory } });
  const gemm = instance.exports.gemm as (a: number, b: number, c: number, m4: number, n8: number, k: number) => void;
  const slot = L.SLOTS + L.SLOT * init.index;
  let heap = new Float32Array(init.memory.buffer);
  let heaps: RangeArray[] = [heap, new Int32Array(heap.buffer), new Float64Array(heap.buffer)];
  // Read the generation before saying ready: a job posted after the flag is seen bumps it past this.
  let gen = Atomics.load(ctl, slot);
  Atomics.store(ctl, slot + 1, 1);
  post('ready');
  for (;;) {
    // Generations only grow: the next job (or shutdown) makes it at least gen + 1.
    wait(L, ctl, slot, gen + 1);
    gen = Atomics.load(ctl, slot);
    if (Atomics.load(ctl, L.SHUTDOWN) !== 0) return;
    if (heap.buffer.byteLength !== init.memory.buffer.byteLength) {
      heap = new Float32Array(init.memory.buffer);
      heaps = [heap, new Int32Array(heap.buffer), new Float64Array(heap.buffer)];
    }
    const rank = Atomics.load(ctl, slot + 2);
    try {
      if (ctl[L.KIND] === 0) share(L, ctl, heap, gemm, rank, wait);
      else rangeShare(L, ctl, ints, floats, heaps, kernels, rank);
    } catch {
      // The caller is told and throws; a helper that stopped counting would hang it instead.
      Atomics.store(ctl, L.FAILED, 1);
    }
    if (Atomics.add(ctl, L.DONE, 1) + 1 === ctl[L.THREADS] - 1) Atomics.notify(ctl, L.DONE);
  }
}

/**
 * The script. `__name` is defined because some TypeScript runners (tsx) wrap named inner functions
 * in a `__name(fn, "name")` helper call when they print a function's source.
 */
export function helperSource(): string {
  return `"use strict";
var __name = (fn) => fn;
const L = ${JSON.stringify(JOB)};
const share = ${runGemmShare.toString()};
const rangeShare = ${runRangeShare.toString()};
const kernels = [
${RANGE_KERNELS.map((k) => k.toString()).join(',\n')}
];
const wait = ${awaitCount.toString()};
const helperMain = ${helperMain.toString()};
if (typeof process !== "undefined" && process.versions && process.versions.node && typeof require === "function") {
  const wt = require("node:worker_threads");
  helperMain(L, wt.workerData, share, rangeShare, kernels, wait, (m) => wt.parentPort.postMessage(m));
} else {
  self.onmessage = (e) => helperMain(L, e.data, share, rangeShare, kernels, wait, (m) => self.postMessage(m));
}
`;
}
