/**
 * The WebGPU backend's machinery: one submission per program run (reads join it) and its counters, pooled
 * buffers coming back zeroed, partial reads, aliasing rules, fit estimates, and device loss.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Launch, TensorView } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import {
  DeviceLostError,
  DoesNotFitError,
  type WebGPUBackend,
  WebGPUError,
} from '../../src/engine/backends/webgpu/index.ts';
import { expectClose, LOOSE, makeGpuBackend, Rng, randn, upload, withGpuBackend } from './webgpu-helpers.ts';

let gpu: WebGPUBackend;
withGpuBackend((b) => {
  gpu = b;
});

const rng = new Rng(29);
const x = randn(rng, [6, 5]);
const w = randn(rng, [5, 4]);
const bias = randn(rng, [4]);

/** y = gelu(x @ w + bias), accumulated in place into acc: acc += y. Four launches over views. */
function chain(be: Backend) {
  const xv = upload(be, x);
  const wv = upload(be, w);
  const bv = upload(be, bias);
  const view = (shape: number[]): TensorView => ({ tensor: be.alloc(40, 'f32'), shape, dtype: 'f32' });
  const h = view([6, 4]);
  const acc = view([6, 4]);
  const launches: Launch[] = [
    { op: 'matmul', attrs: { transA: false, transB: false }, inputs: [xv, wv], output: h },
    { op: 'add', attrs: {}, inputs: [h, bv], output: h },
    { op: 'unary', attrs: { fn: 'gelu_tanh' }, inputs: [h], output: h },
    { op: 'add', attrs: {}, inputs: [acc, h], output: acc },
    { op: 'reshape', attrs: { shape: [24] }, inputs: [acc], output: { ...acc, shape: [24] } },
  ];
  return { launches, acc };
}

describe('programs', () => {
  it('run a launch chain with one submission per run, the read joining the last, and count dispatches', async () => {
    const cpu = new CpuBackend();
    const ref = chain(cpu);
    const cpuProgram = cpu.compile(ref.launches);
    cpuProgram.run();
    cpuProgram.run();

    const g = chain(gpu);
    const program = gpu.compile(g.launches);
    // One dispatch: the bias add, GELU and accumulation run in the matmul's epilogue (fusion/epilogue.ts).
    expect(program.stats.dispatches).toBe(1);
    expect(program.stats.submissions).toBe(1);
    expect(program.stats.aliasedLaunches).toBe(1);
    const before = { ...gpu.counters };
    program.run();
    program.run();
    // The second run submitted the first; it waits for the end of this burst, with the read.
    expect(gpu.counters.submissions - before.submissions).toBe(1);
    expect(gpu.counters.dispatches - before.dispatches).toBe(2);
    expect(gpu.counters.programRuns - before.programRuns).toBe(2);
    const got = await gpu.read(g.acc.tensor, 24);
    expect(gpu.counters.submissions - before.submissions).toBe(2);
    expect(gpu.counters.bytesRead - before.bytesRead).toBe(24 * 4);
    expectClose(got, await cpu.read(ref.acc.tensor, 24), LOOSE, 'chain');
    await gpu.sync();
  });

  it('rejects a non-elementwise launch that writes into its own input', () => {
    const a = upload(gpu, randn(rng, [4, 4]));
    const launch: Launch = { op: 'matmul', attrs: { transA: false, transB: false }, inputs: [a, a], output: a };
    expect(() => gpu.compile([launch])).toThrow(/only elementwise ops may run in place/);
  });
});

describe('memory', () => {
  it('reuses freed buffers and hands them out zero-filled', async () => {
    const t = gpu.alloc(1000, 'f32');
    gpu.write(t, new Float32Array(1000).fill(3));
    gpu.free(t);
    const held = gpu.memory.heldBytes;
    const again = gpu.alloc(1000, 'f32');
    expect(gpu.memory.heldBytes).toBe(held);
    const data = await gpu.read(again);
    expect(data.every((v) => v === 0)).toBe(true);
    expect(gpu.memory.peakLiveBytes).toBeGreaterThanOrEqual(4000);
    gpu.free(again);
  });

  it('reads a prefix and round-trips i32 data', async () => {
    const t = gpu.alloc(10, 'i32');
    gpu.write(t, Int32Array.from([-5, 7, 2 ** 30]), 2);
    expect(Array.from(await gpu.read(t, 6))).toEqual([0, 0, -5, 7, 2 ** 30, 0]);
    expect(() => gpu.write(t, new Float32Array(2))).toThrow(/i32 tensor needs a Int32Array/);
    expect(() => gpu.write(t, new Int32Array(4), 8)).toThrow(/overflow/);
  });

  it('estimates fit against the budget and binding limits, with the numbers', () => {
    const l = gpu.device.limits;
    const ok = gpu.estimateFit(10 * 2 ** 20, 2 ** 20);
    expect(ok.fits).toBe(true);
    const huge = gpu.estimateFit(2 ** 40, ok.maxTensorBytes + 4);
    expect(huge.fits).toBe(false);
    expect(huge.message).toMatch(/largest tensor needs .* MiB but this device can bind at most .* MiB/);
    expect(huge.message).toContain(
      `maxStorageBufferBindingSize ${(l.maxStorageBufferBindingSize / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(() => gpu.assertFits(2 ** 40, ok.maxTensorBytes + 4)).toThrow(DoesNotFitError);
  });

  it('refuses a model over the memory budget', async () => {
    const budgeted = await makeGpuBackend({ memoryBudgetBytes: 64 * 2 ** 20 });
    try {
      const fit = budgeted.estimateFit(500 * 2 ** 20, 2 ** 20);
      expect(fit.fits).toBe(false);
      expect(fit.message).toContain('needs 500.0 MiB of device memory but the budget is 64.0 MiB');
    } finally {
      budgeted.dispose();
    }
  });
});

describe('errors', () => {
  it('surfaces a WebGPU validation error at the next sync, once', async () => {
    gpu.device.createBuffer({ size: 16, usage: 0 }); // invalid: a buffer needs some usage
    await expect(gpu.sync()).rejects.toThrow(WebGPUError);
    await expect(gpu.sync()).resolves.toBeUndefined();
  });
});

describe('device loss', () => {
  it('rejects pending reads with DeviceLostError and refuses further work', async () => {
    const doomed = await makeGpuBackend();
    const t = doomed.alloc(64, 'f32');
    const pending = doomed.read(t);
    doomed.device.destroy();
    await expect(pending).rejects.toBeInstanceOf(DeviceLostError);
    const lost = await doomed.lost;
    expect(lost).toBeInstanceOf(DeviceLostError);
    expect(lost.reason).toBe('destroyed');
    expect(() => doomed.alloc(4, 'f32')).toThrow(DeviceLostError);
    await expect(doomed.read(t)).rejects.toBeInstanceOf(DeviceLostError);
  });
});
