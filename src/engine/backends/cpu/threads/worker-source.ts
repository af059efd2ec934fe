/**
 * The helper thread's script, as source text: it runs from a string (Node: `eval: true`; browser: a
 * Blob URL), so it needs no bundler support and no file next to the bundle. It instantiates the
 * gemm module on the pool's shared memory, says it is ready, then loops: wait for the next job,
 * claim and run its chunks (gemm-share.ts's and range-share.ts's own source, with every range
 * kernel's) until none is left.
 */
import { claimChunks, GEMM_HELPERS, gemmMulChunk, gemmPackChunk, JOB } from './gemm-share.ts';
import { runRangeChunk } from './range-share.ts';
import { RANGE_HELPERS, RANGE_KERNELS } from './ranges/index.ts';
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
  pack: typeof gemmPackChunk,
  mul: typeof gemmMulChunk,
  range: typeof runRangeChunk,
  kernels: typeof RANGE_KERNELS,
  claim: typeof claimChunks,
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
  // Jobs up to this one are not ours: a helper joins jobs published after it said ready.
  let seen = Atomics.load(ctl, L.WORD) >>> 16;
  Atomics.store(ctl, slot + 1, 1);
  post('ready');
  // How long to spin for the next job (µs): SPIN_US on an idle machine; halved each time a spin
  // finds itself descheduled (the machine is busier than its cores, and spinning only takes time
  // from the caller), grown back while spins run undisturbed.
  let budget = ctl[L.SPIN_US];
  for (;;) {
    // Wait for the next job: spin (a sleeping helper wakes too late to help), then sleep.
    let w = Atomics.load(ctl, L.WORD);
    if (w >>> 16 === seen) {
      let last = performance.now();
      const until = last + budget / 1000;
      let preempted = false;
      for (let s = 1; w >>> 16 === seen; s++) {
        if ((s & 63) === 0) {
          const now = performance.now();
          preempted = now - last > L.PREEMPTED_MS;
          if (preempted || now > until) break;
          last = now;
        }
        w = Atomics.load(ctl, L.WORD);
      }
      const most = ctl[L.SPIN_US];
      budget = preempted ? Math.max(most / 64, budget / 2) : Math.min(most, budget * 1.25 + 1);
      while (w >>> 16 === seen) {
        Atomics.wait(ctl, L.WORD, w);
        w = Atomics.load(ctl, L.WORD);
      }
    }
    if (Atomics.load(ctl, L.SHUTDOWN) !== 0) return;
    seen = w >>> 16;
    if (heap.buffer.byteLength !== init.memory.buffer.byteLength) {
      heap = new Float32Array(init.memory.buffer);
      heaps = [heap, new Int32Array(heap.buffer), new Float64Array(heap.buffer)];
    }
    // Read while the job may already be over: claim() then fails, so a stale value is never used.
    const kind = ctl[L.KIND];
    const n = ctl[L.CHUNKS];
    if (kind === 0) claim(L, ctl, seen, n, (c) => pack(L, ctl, heap, c, n));
    else if (kind === 1) claim(L, ctl, seen, n, (c) => mul(L, ctl, heap, gemm, c, n));
    else claim(L, ctl, seen, n, (c) => range(L, ctl, ints, floats, heaps, kernels, c, n, gemm));
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
const [pack, mul] = (() => {
${GEMM_HELPERS.map((h) => `const ${h.name} = ${h.toString()};`).join('\n')}
return [${gemmPackChunk.toString()}, ${gemmMulChunk.toString()}];
})();
const range = ${runRangeChunk.toString()};
const kernels = (() => {
${RANGE_HELPERS.map((h) => `const ${h.name} = ${h.toString()};`).join('\n')}
return [
${RANGE_KERNELS.map((k) => k.toString()).join(',\n')}
];
})();
const claim = ${claimChunks.toString()};
const helperMain = ${helperMain.toString()};
const run = (init, post) => helperMain(L, init, pack, mul, range, kernels, claim, post);
if (typeof process !== "undefined" && process.versions && process.versions.node && typeof require === "function") {
  const wt = require("node:worker_threads");
  run(wt.workerData, (m) => wt.parentPort.postMessage(m));
} else {
  self.onmessage = (e) => run(e.data, (m) => self.postMessage(m));
}
`;
}
