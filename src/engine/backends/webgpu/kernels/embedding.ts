/**
 * Embedding lookup and its gradient. The table may be split over several segments (GPT-2's tied
 * 50257x768 table is over the default binding limit); the accessors hide that. The gradient is a
 * deterministic scatter-add without float atomics: the thread for the first occurrence of an id
 * sums the gradient rows of all its occurrences in order, so repeated ids never race.
 */
import type { Launch } from '../../../backend.ts';
import { numel } from '../../../ops.ts';
import { asGpuTensor } from '../tensor.ts';
import { elementwise } from './elementwise.ts';
import { perOutput } from './per-output.ts';
import type { DispatchSpec, KernelContext } from './types.ts';

export function embeddingKernel(launch: Launch<'embedding'>, ctx: KernelContext): DispatchSpec[] {
  const [tableView, idsView] = launch.inputs;
  const [vocab, dim] = tableView.shape;
  const table = asGpuTensor(tableView.tensor, 'embedding table');
  const ids = asGpuTensor(idsView.tensor, 'embedding ids');
  const out = asGpuTensor(launch.output.tensor, 'embedding output');
  const count = numel(launch.output.shape);
  return perOutput(
    ctx,
    'embedding',
    count,
    (k) => {
      k.u32('dim', dim).i32('vocab', vocab);
      k.tensor('out', out, count, 'read_write')
        .tensor('table', table, vocab * dim, 'read')
        .tensor('ids', ids, numel(idsView.shape), 'read');
    },
    `  let id = ld_ids(i / p.dim);
  var v = 0.0;
  if (id >= 0 && id < p.vocab) { v = ld_table(u32(id) * p.dim + i % p.dim); }
  st_out(i, v);`,
  );
}

export function embeddingGradKernel(launch: Launch<'embedding_grad'>, ctx: KernelContext): DispatchSpec[] {
  const [idsView, gView] = launch.inputs;
  const n = numel(idsView.shape);
  const dim = gView.shape[gView.shape.length - 1];
  const vocab = launch.attrs.vocab;
  const ids = asGpuTensor(idsView.tensor, 'embedding_grad ids');
  const g = asGpuTensor(gView.tensor, 'embedding_grad g');
  const out = asGpuTensor(launch.output.tensor, 'embedding_grad output');
  const zero = elementwise(
    { label: 'embedding_grad_zero', out, count: vocab * dim, operands: [], body: '  st_out(i, 0.0);' },
    ctx,
  );
  const scatter = perOutput(
    ctx,
    'embedding_grad',
    n * dim,
    (k) => {
      k.u32('dim', dim).u32('tokens', n).i32('vocab', vocab);
      k.tensor('out', out, vocab * dim, 'read_write')
        .tensor('ids', ids, n, 'read')
        .tensor('g', g, n * dim, 'read');
    },
    `  let t = i / p.dim;
  let d = i % p.dim;
  let id = ld_ids(t);
  if (id < 0 || id >= p.vocab) { return; }
  for (var s = 0u; s < t; s++) {
    if (ld_ids(s) == id) { return; }
  }
  var acc = 0.0;
  for (var s = t; s < p.tokens; s++) {
    if (ld_ids(s) == id) { acc += ld_g(s * p.dim + d); }
  }
  st_out(u32(id) * p.dim + d, acc);`,
  );
  return [...zero, ...scatter];
}
