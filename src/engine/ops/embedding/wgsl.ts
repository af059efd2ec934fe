/**
 * Embedding lookup and its gradient. The table may be split over several segments (GPT-2's tied
 * 50257x768 table is over the default binding limit); the accessors hide that. The gradient is a
 * deterministic scatter-add without float atomics: the thread for the first occurrence of an id
 * sums the gradient rows of all its occurrences in order, so repeated ids never race.
 */
import type { Launch } from '../../backend.ts';
import { elementwise } from '../../backends/webgpu/kernels/elementwise.ts';
import { perOutput } from '../../backends/webgpu/kernels/per-output.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';

export function embeddingKernel(launch: Launch<'embedding'>, ctx: KernelContext): DispatchSpec[] {
  const [tableView, idsView] = launch.inputs;
  const [vocab, dim] = tableView.shape;
  const table = asGpuTensor(tableView.tensor, 'embedding table');
  const ids = asGpuTensor(idsView.tensor, 'embedding ids');
  const out = asGpuTensor(launch.output.tensor, 'embedding output');
  const count = numel(launch.output.shape);
  return perOutput(ctx, count, {
    label: 'embedding',
    bind: (k) => {
      k.u32('dim', dim).i32('vocab', vocab);
      k.tensor('out', out, count, 'read_write')
        .tensor('table', table, vocab * dim, 'read')
        .tensor('ids', ids, numel(idsView.shape), 'read');
    },
    body: `  let id = ld_ids(i / p.dim);
  var v = 0.0;
  if (id >= 0 && id < p.vocab) { v = ld_table(u32(id) * p.dim + i % p.dim); }
  st_out(i, v);`,
  });
}

export function embeddingGradKernel(launch: Launch<'embedding_grad'>, ctx: KernelContext): DispatchSpec[] {
  const [idsView, gView] = launch.inputs;
  const n = numel(idsView.shape);
  const dim = gView.shape[gView.shape.length - 1];
  const vocab = launch.attrs.vocab;
  const ids = asGpuTensor(idsView.tensor, 'embedding_grad ids');
  const g = asGpuTensor(gView.tensor, 'embedding_grad g');
  const out = asGpuTensor(launch.output.tensor, 'embedding_grad output');
  // links[2t] = 1 when token t is the first occurrence of its id; links[2t + 1] = the next token
  // with the same id (or -1). O(tokens^2) once, instead of once per embedding column.
  const links = ctx.scratch(2 * n * 4);
  const linkPass = perOutput(ctx, n, {
    label: 'embedding_grad_links',
    bind: (k) => {
      k.u32('tokens', n);
      k.buffer('links', links, 'i32', 'read_write').tensor('ids', ids, n, 'read');
    },
    body: `  let id = ld_ids(i);
  var first = 1;
  for (var s = 0u; s < i; s++) {
    if (ld_ids(s) == id) { first = 0; break; }
  }
  var next = -1;
  for (var s = i + 1u; s < p.tokens; s++) {
    if (ld_ids(s) == id) { next = i32(s); break; }
  }
  st_links(2u * i, first);
  st_links(2u * i + 1u, next);`,
  });
  const zero = elementwise(
    { label: 'embedding_grad_zero', out, count: vocab * dim, operands: [], body: '  st_out(i, 0.0);' },
    ctx,
  );
  // One thread per (first occurrence, column) walks its id's chain in token order, so repeated
  // ids never race and the sum order matches the CPU's.
  const scatter = perOutput(ctx, n * dim, {
    label: 'embedding_grad',
    bind: (k) => {
      k.u32('dim', dim).i32('vocab', vocab);
      k.tensor('out', out, vocab * dim, 'read_write')
        .tensor('ids', ids, n, 'read')
        .tensor('g', g, n * dim, 'read')
        .buffer('links', links, 'i32', 'read');
    },
    body: `  let t = i / p.dim;
  let d = i % p.dim;
  let id = ld_ids(t);
  if (id < 0 || id >= p.vocab || ld_links(2u * t) == 0) { return; }
  var acc = 0.0;
  var s = i32(t);
  loop {
    acc += ld_g(u32(s) * p.dim + d);
    s = ld_links(2u * u32(s) + 1u);
    if (s < 0) { break; }
  }
  st_out(u32(id) * p.dim + d, acc);`,
  });
  return [...linkPass, ...zero, ...scatter];
}

export const embeddingWgsl: WgslKernels<'embedding' | 'embedding_grad'> = {
  embedding: embeddingKernel,
  embedding_grad: embeddingGradKernel,
};
