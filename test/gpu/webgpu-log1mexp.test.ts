/**
 * The `log1mexp` unary (log(1 − e^x), ORPO's log-odds) in WGSL against the CPU backend, on both
 * sides of its branch point −ln 2 and right next to 0, where a direct log(1 − exp(x)) in f32 is off
 * by orders of magnitude or −∞. WGSL has no expm1/log1p, so the kernel carries its own series; this
 * is what proves them.
 */
import { describe, it } from 'vitest';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { checkAgainstCpu, f32, LOOSE, Rng, randn, withGpuBackend } from './webgpu-helpers.ts';

let gpu: WebGPUBackend;
withGpuBackend((b) => {
  gpu = b;
});

/** Odd shape [3, 13]: far left, around −ln 2, the series ranges, and tiny |x|. */
const X = Float32Array.from([
  -30,
  -12,
  -5,
  -2,
  -1.2,
  -0.9,
  -0.75,
  -0.7,
  -Math.LN2,
  -0.69,
  -0.68,
  -0.5,
  -0.3,
  -0.2,
  -0.11,
  -0.1,
  -0.09,
  -0.05,
  -0.01,
  -3e-3,
  -1e-3,
  -3e-4,
  -1e-4,
  -1e-5,
  -1e-6,
  -3e-7,
  -1e-7,
  -6e-8,
  -1e-8,
  -1e-10,
  -1e-20,
  -2.3,
  -0.4,
  -0.15,
  -0.02,
  -7e-6,
  -4e-2,
  -8,
  -1.5,
]);
const S = [3, 13] as const;

describe('log1mexp', () => {
  it('value and gradient match the CPU backend from −30 to −1e-20', async () => {
    const x = f32(S, X);
    await checkAgainstCpu(gpu, { op: 'unary', attrs: { fn: 'log1mexp' }, inputs: [x], out: S }, LOOSE, 'value');
    const g = randn(new Rng(3), S);
    await checkAgainstCpu(
      gpu,
      { op: 'unary_grad', attrs: { fn: 'log1mexp' }, inputs: [x, g], out: S },
      LOOSE,
      'gradient',
    );
  });
});
