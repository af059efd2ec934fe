/** Elementwise WebGPU kernels (and AdamW) against the CPU backend, including in-place aliasing. */
import { describe, it } from 'vitest';
import type { WebGPUBackend } from '../../src/engine/backends/webgpu/index.ts';
import { UNARY_DOMAIN, UNARY_FNS, type UnaryFn } from '../../src/engine/ops.ts';
import { adamwCase, checkAgainstCpu, LOOSE, Rng, randn, TIGHT, uniform, withGpuBackend } from './webgpu-helpers.ts';

let gpu: WebGPUBackend;
withGpuBackend((b) => {
  gpu = b;
});

const rng = new Rng(7);
const S = [3, 5, 7] as const;

/** Inputs where fn is defined and interesting: log needs x > 0, log1mexp x < 0; the rest get a wide range to hit saturation. */
function unaryInput(fn: UnaryFn) {
  const domain = UNARY_DOMAIN[fn];
  if (domain === 'positive') return uniform(rng, S, 0.05, 4);
  if (domain === 'negative') return uniform(rng, S, -12, -0.01);
  return uniform(rng, S, -12, 12);
}

describe('binary ops', () => {
  for (const op of ['add', 'sub', 'mul'] as const) {
    it(`${op}: same shape, suffix broadcast, scalar-suffix, in place`, async () => {
      const a = randn(rng, S);
      await checkAgainstCpu(gpu, { op, attrs: {}, inputs: [a, randn(rng, S)], out: S }, TIGHT, `${op} same`);
      await checkAgainstCpu(gpu, { op, attrs: {}, inputs: [a, randn(rng, [7])], out: S }, TIGHT, `${op} [7]`);
      await checkAgainstCpu(gpu, { op, attrs: {}, inputs: [a, randn(rng, [5, 7])], out: S }, TIGHT, `${op} [5,7]`);
      await checkAgainstCpu(
        gpu,
        { op, attrs: {}, inputs: [a, randn(rng, S)], out: S, inPlace: 0 },
        TIGHT,
        `${op} in place`,
      );
      await checkAgainstCpu(
        gpu,
        { op, attrs: {}, inputs: [a, randn(rng, [7])], out: S, inPlace: 0 },
        TIGHT,
        `${op} bcast in place`,
      );
    });
  }
});

describe('scale and broadcast_to', () => {
  it('scale, also in place', async () => {
    const a = randn(rng, S);
    await checkAgainstCpu(gpu, { op: 'scale', attrs: { s: -0.37 }, inputs: [a], out: S }, TIGHT);
    await checkAgainstCpu(gpu, { op: 'scale', attrs: { s: 3 }, inputs: [a], out: S, inPlace: 0 }, TIGHT);
  });
  it('broadcast_to from a scalar and from a suffix', async () => {
    await checkAgainstCpu(gpu, { op: 'broadcast_to', attrs: { shape: S }, inputs: [randn(rng, [1])], out: S }, TIGHT);
    await checkAgainstCpu(
      gpu,
      { op: 'broadcast_to', attrs: { shape: S }, inputs: [randn(rng, [5, 7])], out: S },
      TIGHT,
    );
  });
  it('reshape into another tensor copies', async () => {
    await checkAgainstCpu(
      gpu,
      { op: 'reshape', attrs: { shape: [15, 7] }, inputs: [randn(rng, S)], out: [15, 7] },
      TIGHT,
    );
  });
});

describe('unary and unary_grad', () => {
  for (const fn of UNARY_FNS) {
    it(fn, async () => {
      const x = unaryInput(fn);
      const g = randn(rng, S);
      await checkAgainstCpu(gpu, { op: 'unary', attrs: { fn }, inputs: [x], out: S }, LOOSE, `unary ${fn}`);
      await checkAgainstCpu(
        gpu,
        { op: 'unary', attrs: { fn }, inputs: [x], out: S, inPlace: 0 },
        LOOSE,
        `unary ${fn} in place`,
      );
      await checkAgainstCpu(
        gpu,
        { op: 'unary_grad', attrs: { fn }, inputs: [x, g], out: S },
        LOOSE,
        `unary_grad ${fn}`,
      );
      await checkAgainstCpu(
        gpu,
        { op: 'unary_grad', attrs: { fn }, inputs: [x, g], out: S, inPlace: 0 },
        LOOSE,
        `unary_grad ${fn} in place`,
      );
    });
  }
});

describe('adamw', () => {
  const n = [11, 9] as const;
  const hyper = (maxNorm: number, t: number) => [1e-2, 0.9, 0.999, 1e-8, 0.1, 1 - 0.9 ** t, 1 - 0.999 ** t, maxNorm];
  for (const [label, maxNorm, normSq] of [
    ['no clipping', 0, 50],
    ['clipping active', 1, 50],
    ['clip threshold not reached', 100, 50],
  ] as const) {
    it(label, async () => {
      await checkAgainstCpu(gpu, adamwCase(rng, n, hyper(maxNorm, 3), normSq), TIGHT);
    });
  }
});
