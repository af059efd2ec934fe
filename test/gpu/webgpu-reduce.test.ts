/** Reductions (one- and two-pass) and the row/mask ops against the CPU backend. */
import { describe, it } from 'vitest';
import type { RowStrategy } from '../../src/engine/backends/webgpu/index.ts';
import { checkAgainstCpu, gpuBackendPerVariant, LOOSE, Rng, randn, TIGHT, uniform } from './webgpu-helpers.ts';

// Both row strategies run on every adapter: workgroup-per-row (GPU default) and thread-per-row (CPU-adapter default).
const STRATEGIES: RowStrategy[] = ['workgroup', 'thread'];
const backendFor = gpuBackendPerVariant(STRATEGIES, (rows) => ({ rows }));

const rng = new Rng(11);

for (const rows of STRATEGIES) {
  const gpu = () => backendFor(rows);
  describe(`sum_all and sumsq (${rows})`, () => {
    // 3*5*7 runs in one workgroup; 70001 elements needs several partial sums and a second pass.
    for (const shape of [[3, 5, 7], [70001]]) {
      it(`over ${shape.join('x')}`, async () => {
        const a = randn(rng, shape);
        await checkAgainstCpu(gpu(), { op: 'sum_all', attrs: {}, inputs: [a], out: [1] }, { rtol: 1e-4, atol: 1e-3 });
        await checkAgainstCpu(gpu(), { op: 'sumsq', attrs: {}, inputs: [a], out: [1] }, LOOSE);
      });
    }
  });

  describe(`sum_leading (${rows})`, () => {
    const cases: [number[], number][] = [
      [[3, 5, 7], 1],
      [[3, 5, 7], 2],
      [[3, 5, 7], 0],
      [[3, 5, 7], 3],
      // 600 rows: split into row chunks, then a second pass over the chunks.
      [[600, 37], 1],
      [[2, 300, 3], 1],
    ];
    for (const [shape, keep] of cases) {
      it(`keep ${keep} of [${shape}]`, async () => {
        const out = keep === 0 ? [1] : shape.slice(shape.length - keep);
        await checkAgainstCpu(gpu(), { op: 'sum_leading', attrs: { keep }, inputs: [randn(rng, shape)], out }, LOOSE);
      });
    }
  });

  describe(`masked_row_sum and expand_rows (${rows})`, () => {
    const mask = () => {
      const m = uniform(rng, [3, 13], 0, 1);
      for (let i = 0; i < m.data.length; i++) m.data[i] = m.data[i] > 0.3 ? 1 : 0;
      return m;
    };
    it('masked_row_sum', async () => {
      await checkAgainstCpu(
        gpu(),
        { op: 'masked_row_sum', attrs: {}, inputs: [randn(rng, [3, 13]), mask()], out: [3] },
        LOOSE,
      );
    });
    it('expand_rows', async () => {
      await checkAgainstCpu(
        gpu(),
        { op: 'expand_rows', attrs: {}, inputs: [randn(rng, [3]), mask()], out: [3, 13] },
        TIGHT,
      );
    });
  });
}
