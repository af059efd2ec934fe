/**
 * The notes under the README's benchmark table: why the numbers look as they do on this adapter,
 * and how each column is measured (moved out of run.ts, which runs the bench).
 */
import { cpus } from 'node:os';
import type { EngineId } from './cases.ts';
import type { HostReport } from './result.ts';

/** "N times as many" TF.js webgpu kernels as Orchard webgpu dispatches, from the browser runs. */
function kernelRatio(hosts: readonly HostReport[]): string {
  const all = hosts.flatMap((h) => h.results);
  const count = (e: EngineId) =>
    all.find((r) => r.engine === e && r.host === 'browser' && r.counters)?.counters?.dispatches;
  const o = count('orchard-webgpu');
  const t = count('tfjs-webgpu');
  return o && t ? `${(t / o).toFixed(1)} times as many` : 'many more';
}

/**
 * Where and on how many threads Orchard's CPU backend ran in the browser, from its row's notes
 * ("CPU backend, N thread(s) ...", and "run in a Web Worker ..." since the page runs it in one).
 */
function orchardCpuThreads(hosts: readonly HostReport[]): string {
  const notes = hosts
    .flatMap((h) => h.results)
    .flatMap((r) => (r.engine === 'orchard-cpu' && r.host === 'browser' ? r.notes : []));
  const n = notes.find((note) => note.startsWith('CPU backend'))?.match(/\d+/)?.[0];
  if (!n) return 'its threads (see the JSON) in the page';
  const threads = `${n} thread${n === '1' ? '' : 's'}`;
  if (notes.some((note) => note.startsWith('run in a Web Worker'))) {
    const fewer = notes.find((note) => note.startsWith('fewer threads:'));
    return `${threads} in a Web Worker of the page, as the lab trains${fewer ? ` (${fewer})` : ''}`;
  }
  // Results from before the page ran this row in a worker: the main thread may not block in Atomics.wait.
  return n === '1'
    ? "1 thread in the page (the bench page's main thread cannot wait on helper threads; the lab's worker can)"
    : `${threads} in the page`;
}

function wasmThreads(hosts: readonly HostReport[]): string {
  const note = hosts
    .flatMap((h) => h.results)
    .flatMap((r) => (r.engine === 'tfjs-wasm' ? r.notes : []))
    .find((n) => n.startsWith('wasm threads'));
  const n = note?.match(/\d+/)?.[0];
  return n ? `${n} thread${n === '1' ? '' : 's'} here, TF.js's default for this machine` : 'threads: see the JSON';
}

export function explain(hosts: readonly HostReport[]): string[] {
  const notes: string[] = [];
  const fallback = hosts.some((h) => h.adapter?.isFallbackAdapter);
  if (fallback) {
    notes.push(
      'Why the numbers look like this:',
      '',
      `- The adapter is SwiftShader, a CPU implementation of Vulkan: the "GPU" rows run on the same ${cpus().length} CPU cores`,
      '  as everything else. They show the engines work and compare their kernel designs on a CPU emulation; they',
      '  say nothing about speed on a GPU, and the GPT-2-small case needs a real GPU. Orchard picks',
      "  register-blocked matmuls and thread-per-row reductions for fallback adapters; TF.js's webgpu backend runs",
      '  its usual shared-memory tiled kernels (workgroup barriers are very slow on SwiftShader) and launches',
      `  ${kernelRatio(hosts)} kernels per step. That, not GPU efficiency, is most of the webgpu ratio here.`,
      `- Orchard's CPU backend runs its kernels in WebAssembly SIMD on ${orchardCpuThreads(hosts)}, so TF.js's wasm backend`,
      `  (XNNPACK; ${wasmThreads(hosts)}) is the closer comparison;`,
      "  the target is against TF.js's plain-JS cpu backend.",
      "- SwiftShader under Node's Dawn (the `webgpu` package; its adapter reports the Subzero JIT) ran Orchard's step",
      '  slower than the SwiftShader inside Chromium did.',
      '',
    );
  }
  notes.push(
    '- Step loop (bench/timing.ts), the same for every engine: one step always in flight; step k+1 is queued before',
    "  step k's loss is awaited. ms/step is the median time between consecutive losses arriving.",
    "- Orchard's step is one compiled program and one queue submission: the copies that read back the loss and the",
    '  grad norm are recorded into the same command buffer as the step (two small mapAsync reads, no extra submission).',
    '  TF.js rows count kernels per step (tf.profile), most of them one dispatch each.',
    '- Peak MB: Orchard webgpu = bytes its WebGPU buffer pool held from the device (live + pooled buffers, rounded',
    '  to size classes; uniforms and staging not included); Orchard cpu in Node = bytes of the tensors the CPU',
    '  backend held (bench/cpu-memory.ts); TF.js = tf.profile peakBytes (live tensor bytes).',
    '- TFLOP/s: analytic matmul FLOPs of the step (bench/flops.ts: forward, dX of every product, dW of trainable',
    "  weights only) over ms/step; the fraction is of the adapter's fp32 peak from vendor data sheets (bench/gpu-peaks.ts).",
    '  Analytic MB = weights + gradients + AdamW m, v + inputs + planned activations (the planner estimate).',
    '- Timings are medians of few steps on a shared machine; other processes running at the same time can move them',
    '  by 2x or more between runs.',
  );
  return notes;
}
