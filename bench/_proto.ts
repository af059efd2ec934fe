import { CASES } from '../bench/cases.ts';
import { runOrchard } from '../bench/orchard-step.ts';
import { makeWorkload } from '../bench/workload.ts';
import { CpuBackend } from '../src/engine/backends/cpu/backend.ts';
import { createWebGPUBackend } from '../src/engine/backends/webgpu/index.ts';
import { getNodeGPU } from '../src/engine/backends/webgpu/node-gpu.ts';

const w = makeWorkload(CASES.tiny);
console.log(w.modelParams, w.trainableParams);
const which = process.argv[2];
const backend = which === 'cpu' ? new CpuBackend() : await createWebGPUBackend(await getNodeGPU());
const r = await runOrchard(which === 'cpu' ? 'orchard-cpu' : 'orchard-webgpu', 'node', backend, w, {
  warmup: 1,
  timed: 2,
});
console.log(JSON.stringify({ ...r, rowLogps: r.rowLogps.slice(0, 3) }));
